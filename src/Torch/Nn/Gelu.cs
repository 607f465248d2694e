using MlNetStem.Onnx.Writer;

namespace MlNetStem.Torch.Nn;

/// <summary>The GELU activation as a module; the tanh approximation by default (as DiT uses).</summary>
/// <param name="tanhApproximation">Use the tanh approximation rather than the exact erf form.</param>
public sealed class Gelu(bool tanhApproximation = true) : TensorModule, IOnnxExportable
{
    /// <summary>Whether the tanh approximation is used.</summary>
    public bool TanhApproximation { get; } = tanhApproximation;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Gelu(TanhApproximation);

    /// <summary>Emits the same formula as <see cref="Forward"/> (opset 17 has no Gelu operator):
    /// <c>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))</c> with the tanh approximation,
    /// <c>0.5·x·(1 + erf(x/√2))</c> without.</summary>
    /// <inheritdoc/>
    public string EmitOnnx(OnnxGraphBuilder graph, string input, string namePrefix)
    {
        ArgumentNullException.ThrowIfNull(graph);
        string prefix = OnnxExport.Join(namePrefix, "gelu");
        string one = OnnxExport.AddScalar(graph, prefix + ".one", 1);
        string half = OnnxExport.AddScalar(graph, prefix + ".half", 0.5);
        string inner;
        if (TanhApproximation)
        {
            string cube = graph.AddNode("Mul", [graph.AddNode("Mul", [input, input]), input]);
            string poly = graph.AddNode("Add", [input, graph.AddNode("Mul", [cube, OnnxExport.AddScalar(graph, prefix + ".c", 0.044715)])]);
            inner = graph.AddNode("Tanh", [graph.AddNode("Mul", [poly, OnnxExport.AddScalar(graph, prefix + ".sqrt_2_over_pi", Math.Sqrt(2 / Math.PI))])]);
        }
        else
        {
            inner = graph.AddNode("Erf", [graph.AddNode("Mul", [input, OnnxExport.AddScalar(graph, prefix + ".inv_sqrt2", 1 / Math.Sqrt(2))])]);
        }
        return graph.AddNode("Mul", [input, graph.AddNode("Mul", [graph.AddNode("Add", [inner, one]), half])]);
    }
}
