using MlNetStem.Onnx.Writer;

namespace MlNetStem.Torch.Nn;

/// <summary>
/// A module that can write its inference-time computation (evaluation mode) into an ONNX graph,
/// with its current weights copied in as initializers. Use <see cref="OnnxExport.Emit"/> to emit
/// any module: it explains which module is not exportable instead of failing with a cast.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Adds the nodes computing this module's forward pass to <paramref name="graph"/>.</summary>
    /// <param name="graph">The graph (or subgraph) to write into.</param>
    /// <param name="input">Name of an existing float value holding the module's input.</param>
    /// <param name="namePrefix">Prefix of the initializer names, e.g. <c>blocks.0.mlp</c>; parameters are
    /// named as in <see cref="Module.NamedParameters"/> below it ("" for no prefix).</param>
    /// <returns>The name of the value holding the module's output.</returns>
    /// <exception cref="NotSupportedException">A child module cannot be exported.</exception>
    string EmitOnnx(OnnxGraphBuilder graph, string input, string namePrefix);
}
