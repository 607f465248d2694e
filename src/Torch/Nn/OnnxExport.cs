using MlNetStem.Onnx;
using MlNetStem.Onnx.Writer;

namespace MlNetStem.Torch.Nn;

/// <summary>
/// Writes Torch modules into ONNX graphs (opset 17) through <see cref="IOnnxExportable"/>: whole
/// models with a dynamic batch dimension, or pieces of larger hand-written graphs. Exports the
/// evaluation-mode computation (dropout is the identity) with the weights as they are now.
/// </summary>
public static class OnnxExport
{
    /// <summary>
    /// Emits <paramref name="module"/> into <paramref name="graph"/> after checking that it can be
    /// exported; use this rather than casting, also for children, so errors name the module.
    /// </summary>
    /// <param name="module">The module.</param>
    /// <param name="graph">The graph (or subgraph) to write into.</param>
    /// <param name="input">Name of an existing value holding the module's input.</param>
    /// <param name="namePrefix">Initializer name prefix ("" for none); also names the module in errors.</param>
    /// <returns>The name of the value holding the output.</returns>
    /// <exception cref="NotSupportedException">The module, or one of its children, does not implement <see cref="IOnnxExportable"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> does not exist in the graph.</exception>
    public static string Emit(Module module, OnnxGraphBuilder graph, string input, string namePrefix = "")
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentException.ThrowIfNullOrEmpty(input);
        ArgumentNullException.ThrowIfNull(namePrefix);
        if (module is not IOnnxExportable exportable)
            throw new NotSupportedException(
                $"Module '{(namePrefix.Length == 0 ? "(root)" : namePrefix)}' of type {module.GetType().Name} cannot be exported to ONNX: " +
                $"it does not implement {nameof(IOnnxExportable)} (exportable: Linear, LayerNorm, Sequential, Silu, Gelu, Relu, Dropout).");
        return exportable.EmitOnnx(graph, input, namePrefix);
    }

    /// <summary>
    /// Builds a model computing <paramref name="module"/>: one float input of shape
    /// <paramref name="inputShape"/> (use a symbolic first dimension such as "N" for a dynamic batch)
    /// and one float output.
    /// </summary>
    /// <param name="module">The module to export.</param>
    /// <param name="inputShape">The declared input shape, e.g. <c>["N", 16]</c>.</param>
    /// <param name="outputShape">The declared output shape, or null to leave it to the runtime.</param>
    /// <param name="inputName">Name of the graph input.</param>
    /// <param name="outputName">Name of the graph output.</param>
    /// <returns>The builder, ready to <see cref="OnnxGraphBuilder.Save(string)"/> or serialize.</returns>
    /// <exception cref="NotSupportedException">The module, or one of its children, cannot be exported.</exception>
    /// <exception cref="ArgumentException">A name is empty, or both names are equal.</exception>
    public static OnnxGraphBuilder BuildModel(TensorModule module, OnnxDim[] inputShape, OnnxDim[]? outputShape = null,
        string inputName = "input", string outputName = "output")
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentException.ThrowIfNullOrEmpty(inputName);
        ArgumentException.ThrowIfNullOrEmpty(outputName);
        if (inputName == outputName) throw new ArgumentException($"Input and output are both named '{inputName}'.", nameof(outputName));
        var graph = new OnnxGraphBuilder(module.GetType().Name.ToLowerInvariant());
        string x = graph.AddInput(inputName, OnnxElementType.Float, inputShape);
        string y = Emit(module, graph, x);
        graph.AddNode("Identity", "", [y], [outputName]);
        graph.AddOutput(outputName, OnnxElementType.Float, outputShape);
        return graph;
    }

    /// <summary>Adds a copy of <paramref name="tensor"/> (any device, float dtype) as a float initializer of the same shape.</summary>
    /// <returns>The initializer's name (suffixed if <paramref name="name"/> is taken).</returns>
    /// <exception cref="ArgumentException">The tensor is not a floating-point tensor.</exception>
    public static string AddInitializer(OnnxGraphBuilder graph, string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(tensor);
        return graph.AddInitializer(name, ToFloats(tensor), tensor.Shape.ToArray());
    }

    /// <summary>
    /// Adds the transpose of a 2-D weight <paramref name="weight"/> [out, in] as an [in, out] initializer,
    /// the layout <c>MatMul(x, W)</c> needs to compute <c>x·Wᵀ</c>.
    /// </summary>
    /// <returns>The initializer's name.</returns>
    /// <exception cref="ArgumentException">The tensor is not a 2-D floating-point tensor.</exception>
    public static string AddTransposedInitializer(OnnxGraphBuilder graph, string name, Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) throw new ArgumentException($"'{name}': expected a 2-D weight, got shape [{string.Join(", ", weight.Shape)}].", nameof(weight));
        int rows = (int)weight.Shape[0], cols = (int)weight.Shape[1];
        var w = ToFloats(weight);
        var t = new float[w.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
        return graph.AddInitializer(name, t, cols, rows);
    }

    /// <summary>A scalar float initializer (for constants in element-wise formulas).</summary>
    /// <returns>The initializer's name.</returns>
    public static string AddScalar(OnnxGraphBuilder graph, string name, double value)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.AddInitializer(name, [(float)value]);
    }

    /// <summary>Joins a prefix and a member name with a dot, as parameter names are joined ("" prefix: the name alone).</summary>
    public static string Join(string prefix, string name) => string.IsNullOrEmpty(prefix) ? name : $"{prefix}.{name}";

    /// <summary>The elements of a floating-point tensor as float32, copied to the CPU.</summary>
    /// <exception cref="ArgumentException">The tensor is not Float32 or Float64.</exception>
    public static float[] ToFloats(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DType == DType.Float32) return tensor.ToFloatArray();
        if (tensor.DType != DType.Float64)
            throw new ArgumentException($"Only floating-point tensors become ONNX weights; this one holds {tensor.DType}.", nameof(tensor));
        using var noGrad = new NoGradScope();
        using var asFloat = tensor.To(DType.Float32);
        return asFloat.ToFloatArray();
    }
}
