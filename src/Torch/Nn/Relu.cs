using MlNetStem.Onnx.Writer;

namespace MlNetStem.Torch.Nn;

/// <summary>The ReLU (max(x, 0)) activation as a module.</summary>
public sealed class Relu : TensorModule, IOnnxExportable
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();

    /// <summary>Emits <c>Relu</c>.</summary>
    /// <inheritdoc/>
    public string EmitOnnx(OnnxGraphBuilder graph, string input, string namePrefix)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.AddNode("Relu", [input]);
    }
}
