using MlNetStem.Onnx.Writer;

namespace MlNetStem.Torch.Nn;

/// <summary>Layer normalization over the trailing dimensions; with <c>elementwiseAffine</c> it learns "weight" (ones) and "bias" (zeros).
/// DiT blocks use it without affine and modulate it instead.</summary>
public sealed class LayerNorm : TensorModule, IOnnxExportable
{
    private readonly long[] _normalizedShape;

    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentException">The normalized shape is empty or has a size below 1, or eps is not positive.</exception>
    public LayerNorm(long[] normalizedShape, bool elementwiseAffine = true, double eps = 1e-5,
        DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d < 1))
            throw new ArgumentException($"LayerNorm: invalid normalized shape [{string.Join(", ", normalizedShape)}].", nameof(normalizedShape));
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be positive.");
        _normalizedShape = (long[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(_normalizedShape, dtype, device));
            Bias = RegisterParameter("bias", Tensor.Zeros(_normalizedShape, dtype, device));
        }
    }

    /// <summary>Creates a layer normalizing the last dimension of size <paramref name="features"/>.</summary>
    public LayerNorm(long features, bool elementwiseAffine = true, double eps = 1e-5,
        DType dtype = DType.Float32, Device? device = null)
        : this([features], elementwiseAffine, eps, dtype, device) { }

    /// <summary>The normalized trailing shape.</summary>
    public IReadOnlyList<long> NormalizedShape => _normalizedShape;

    /// <summary>The variance epsilon.</summary>
    public double Eps { get; }

    /// <summary>The learned scale, or null without affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>The learned shift, or null without affine.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input does not end in <see cref="NormalizedShape"/>.</exception>
    public override Tensor Forward(Tensor input) => Tensor.LayerNorm(input, _normalizedShape, Weight, Bias, Eps);

    /// <summary>Emits one opset-17 <c>LayerNormalization</c> over the trailing <see cref="NormalizedShape"/>
    /// axes; without affine the scale is a constant of ones and the bias is omitted.</summary>
    /// <inheritdoc/>
    public string EmitOnnx(OnnxGraphBuilder graph, string input, string namePrefix)
    {
        ArgumentNullException.ThrowIfNull(graph);
        string scale = Weight is null
            ? graph.AddInitializer(OnnxExport.Join(namePrefix, "unit_scale"), Enumerable.Repeat(1f, (int)_normalizedShape.Aggregate(1L, (a, b) => a * b)).ToArray(), _normalizedShape)
            : OnnxExport.AddInitializer(graph, OnnxExport.Join(namePrefix, "weight"), Weight);
        string[] inputs = Bias is null ? [input, scale] : [input, scale, OnnxExport.AddInitializer(graph, OnnxExport.Join(namePrefix, "bias"), Bias)];
        return graph.AddNode("LayerNormalization", inputs,
            OnnxAttribute.Int("axis", -_normalizedShape.Length), OnnxAttribute.Float("epsilon", (float)Eps));
    }
}
