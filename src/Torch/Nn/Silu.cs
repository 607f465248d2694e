using MlNetStem.Onnx.Writer;

namespace MlNetStem.Torch.Nn;

/// <summary>The SiLU (x·sigmoid(x)) activation as a module.</summary>
public sealed class Silu : TensorModule, IOnnxExportable
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Silu();

    /// <summary>Emits <c>Mul(x, Sigmoid(x))</c>.</summary>
    /// <inheritdoc/>
    public string EmitOnnx(OnnxGraphBuilder graph, string input, string namePrefix)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.AddNode("Mul", [input, graph.AddNode("Sigmoid", [input])]);
    }
}
