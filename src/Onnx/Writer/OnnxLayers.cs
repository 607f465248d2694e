namespace MlNetStem.Onnx.Writer;

/// <summary>
/// Common multi-node patterns written with <see cref="OnnxGraphBuilder"/> (opset 17 operators).
/// Weights are copied into the model as initializers.
/// </summary>
public static class OnnxLayers
{
    /// <summary><c>x @ W + b</c> with <paramref name="weight"/> laid out [in, out], row-major (MatMul + Add).</summary>
    /// <param name="g">The graph.</param>
    /// <param name="x">Input of shape [..., in].</param>
    /// <param name="weight">in × out weights.</param>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="bias">out biases, or null for none.</param>
    /// <param name="name">Prefix for the initializer names.</param>
    /// <returns>The output of shape [..., out].</returns>
    /// <exception cref="ArgumentException">A weight or bias length does not match the widths.</exception>
    public static string Linear(this OnnxGraphBuilder g, string x, float[] weight, int inFeatures, int outFeatures,
        float[]? bias = null, string name = "linear")
    {
        ArgumentNullException.ThrowIfNull(g);
        string w = g.AddInitializer($"{name}.weight", weight, inFeatures, outFeatures);
        string y = g.AddNode("MatMul", [x, w]);
        if (bias == null) return y;
        string b = g.AddInitializer($"{name}.bias", bias, outFeatures);
        return g.AddNode("Add", [y, b]);
    }

    /// <summary>LayerNormalization over the last axis (opset 17), with learned scale and bias.</summary>
    /// <exception cref="ArgumentException">Scale and bias lengths differ.</exception>
    public static string LayerNorm(this OnnxGraphBuilder g, string x, float[] scale, float[] bias,
        float epsilon = 1e-5f, string name = "ln")
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(bias);
        if (scale.Length != bias.Length)
            throw new ArgumentException($"LayerNorm '{name}': scale has {scale.Length} elements, bias {bias.Length}.", nameof(bias));
        string s = g.AddInitializer($"{name}.weight", scale, scale.Length);
        string b = g.AddInitializer($"{name}.bias", bias, bias.Length);
        return g.AddNode("LayerNormalization", [x, s, b], OnnxAttribute.Int("axis", -1), OnnxAttribute.Float("epsilon", epsilon));
    }

    /// <summary>Softmax along <paramref name="axis"/>.</summary>
    public static string Softmax(this OnnxGraphBuilder g, string x, int axis = -1)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.AddNode("Softmax", [x], OnnxAttribute.Int("axis", axis));
    }

    /// <summary>Exact GELU, <c>0.5·x·(1 + erf(x/√2))</c> (opset 17 has no Gelu operator).</summary>
    public static string Gelu(this OnnxGraphBuilder g, string x)
    {
        ArgumentNullException.ThrowIfNull(g);
        string invSqrt2 = g.AddInitializer("gelu.inv_sqrt2", [(float)(1 / Math.Sqrt(2))]);
        string one = g.AddInitializer("gelu.one", [1f]);
        string half = g.AddInitializer("gelu.half", [0.5f]);
        string erf = g.AddNode("Erf", [g.AddNode("Mul", [x, invSqrt2])]);
        string gate = g.AddNode("Mul", [g.AddNode("Add", [erf, one]), half]);
        return g.AddNode("Mul", [x, gate]);
    }

    /// <summary>A 1-D int64 initializer, e.g. a target shape for Reshape.</summary>
    public static string Int64s(this OnnxGraphBuilder g, string name, params long[] values)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.AddInitializer(name, values, values.Length);
    }

    /// <summary>Reshape to a constant target shape (0 copies a dimension, -1 infers one).</summary>
    public static string Reshape(this OnnxGraphBuilder g, string x, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.AddNode("Reshape", [x, g.Int64s("shape", shape)]);
    }

    /// <summary>Transpose with the given permutation.</summary>
    public static string Transpose(this OnnxGraphBuilder g, string x, params long[] perm)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.AddNode("Transpose", [x], OnnxAttribute.Ints("perm", perm));
    }
}
