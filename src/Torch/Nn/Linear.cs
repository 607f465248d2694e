using MlNetStem.Onnx.Writer;

namespace MlNetStem.Torch.Nn;

/// <summary>y = x·Wᵀ + b with W [out, in] ("weight") and b [out] ("bias"), initialised as torch.nn.Linear: U(-1/√in, 1/√in).</summary>
public sealed class Linear : TensorModule, IOnnxExportable
{
    /// <summary>Creates the layer, drawing its initial values from <paramref name="generator"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature count is below 1.</exception>
    public Linear(long inFeatures, long outFeatures, Generator generator, bool bias = true,
        DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        ArgumentNullException.ThrowIfNull(generator);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        var bound = 1.0 / Math.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", Uniform([outFeatures, inFeatures], bound, generator, dtype, device));
        if (bias) Bias = RegisterParameter("bias", Uniform([outFeatures], bound, generator, dtype, device));
    }

    private static Tensor Uniform(long[] shape, double bound, Generator generator, DType dtype, Device? device)
    {
        using var scope = Tensor.NewScope();
        using var u = Tensor.Rand(shape, generator, dtype, device);
        return (u * (2 * bound) - bound).MoveToOuterScope();
    }

    /// <summary>Input feature count.</summary>
    public long InFeatures { get; }

    /// <summary>Output feature count.</summary>
    public long OutFeatures { get; }

    /// <summary>The [out, in] weight.</summary>
    public Tensor Weight { get; }

    /// <summary>The [out] bias, or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input's last dimension is not <see cref="InFeatures"/>.</exception>
    public override Tensor Forward(Tensor input) => Tensor.Linear(input, Weight, Bias);

    /// <summary>Emits <c>MatMul(x, Wᵀ)</c> (+ <c>Add(b)</c>), with Wᵀ stored as an [in, out] initializer; any input rank.</summary>
    /// <inheritdoc/>
    public string EmitOnnx(OnnxGraphBuilder graph, string input, string namePrefix)
    {
        ArgumentNullException.ThrowIfNull(graph);
        string w = OnnxExport.AddTransposedInitializer(graph, OnnxExport.Join(namePrefix, "weight"), Weight);
        string y = graph.AddNode("MatMul", [input, w]);
        return Bias is null ? y : graph.AddNode("Add", [y, OnnxExport.AddInitializer(graph, OnnxExport.Join(namePrefix, "bias"), Bias)]);
    }
}
