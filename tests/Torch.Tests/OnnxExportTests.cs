using MlNetStem.Onnx;
using MlNetStem.Onnx.Writer;
using MlNetStem.Torch.Nn;

namespace MlNetStem.Torch.Tests;

/// <summary>Every exportable module: libtorch forward pass vs the emitted graph in ONNX Runtime.</summary>
public sealed class OnnxExportTests
{
    private const double Tolerance = 1e-4;

    private sealed class Doubler : TensorModule
    {
        public override Tensor Forward(Tensor input) => input * 2;
    }

    /// <summary>Runs <paramref name="module"/> in libtorch and in ORT on inputs of each batch size and returns the worst difference.</summary>
    private static double MaxDifference(TensorModule module, long[] rowShape, ulong seed, double inputScale = 2, params int[] batches)
    {
        if (batches.Length == 0) batches = [1, 5];
        OnnxDim[] inputShape = ["N", .. rowShape.Select(d => (OnnxDim)d)];
        var model = OnnxExport.BuildModel(module, inputShape).ToBytes();
        using var session = OnnxSession.FromBytes(model);
        using var gen = new Generator(seed);
        double worst = 0;
        foreach (int n in batches)
        {
            long[] shape = [n, .. rowShape];
            using var scope = Tensor.NewScope();
            var x = Tensor.RandN(shape, gen) * inputScale;
            float[] expected;
            module.Eval();
            using (new NoGradScope()) expected = module.Forward(x).ToFloatArray();
            var result = session.Run(new Dictionary<string, OnnxTensor> { ["input"] = OnnxTensor.Create(x.ToFloatArray(), shape) });
            var actual = result["output"];
            Assert.Equal(n, actual.Shape[0]);
            var values = actual.GetData<float>();
            Assert.Equal(expected.Length, values.Length);
            for (int i = 0; i < values.Length; i++) worst = Math.Max(worst, Math.Abs(values[i] - expected[i]));
        }
        return worst;
    }

    private static void Randomize(Tensor parameter, Generator gen)
    {
        using var scope = Tensor.NewScope();
        using (new NoGradScope()) parameter.CopyFrom(Tensor.RandN(parameter.Shape.ToArray(), gen));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Linear_MatchesLibtorch_AnyBatch(bool bias)
    {
        using var gen = new Generator(1);
        using var linear = new Linear(7, 5, gen, bias);
        Assert.InRange(MaxDifference(linear, [7], 2), 0, Tolerance);
    }

    [Fact]
    public void Linear_OnTokens_MatchesLibtorch()
    {
        using var gen = new Generator(3);
        using var linear = new Linear(6, 4, gen);
        Assert.InRange(MaxDifference(linear, [9, 6], 4), 0, Tolerance);
    }

    [Fact]
    public void LayerNorm_Affine_MatchesLibtorch()
    {
        using var gen = new Generator(5);
        using var norm = new LayerNorm(8, eps: 1e-6);
        Randomize(norm.Weight!, gen);
        Randomize(norm.Bias!, gen);
        Assert.InRange(MaxDifference(norm, [3, 8], 6, inputScale: 3), 0, Tolerance);
    }

    [Fact]
    public void LayerNorm_WithoutAffine_MatchesLibtorch()
    {
        using var norm = new LayerNorm(16, elementwiseAffine: false);
        Assert.Null(norm.Weight);
        Assert.InRange(MaxDifference(norm, [16], 7, inputScale: 5), 0, Tolerance);
    }

    [Fact]
    public void LayerNorm_SeveralTrailingAxes_MatchesLibtorch()
    {
        using var gen = new Generator(8);
        using var norm = new LayerNorm([3, 4]);
        Randomize(norm.Weight!, gen);
        Randomize(norm.Bias!, gen);
        Assert.InRange(MaxDifference(norm, [2, 3, 4], 9), 0, Tolerance);
    }

    [Fact]
    public void Activations_MatchLibtorch()
    {
        using var silu = new Silu();
        using var relu = new Relu();
        Assert.InRange(MaxDifference(silu, [10], 10, inputScale: 4), 0, Tolerance);
        Assert.InRange(MaxDifference(relu, [10], 11, inputScale: 4), 0, Tolerance);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gelu_EmitsTheFormItComputes(bool tanhApproximation)
    {
        using var gelu = new Gelu(tanhApproximation);
        Assert.InRange(MaxDifference(gelu, [64], 12, inputScale: 3), 0, Tolerance);

        // The two forms differ by more than the tolerance on these inputs, so emitting the wrong
        // one would fail the check above.
        using var scope = Tensor.NewScope();
        using var gen = new Generator(13);
        var x = Tensor.RandN([256], gen) * 3;
        var gap = (x.Gelu(true) - x.Gelu(false)).Abs().ToFloatArray().Max();
        Assert.True(gap > 3 * Tolerance, $"tanh and erf GELU differ by only {gap}");
    }

    [Fact]
    public void Dropout_ExportsIdentity_EvenWhenTraining()
    {
        using var gen = new Generator(14);
        using var dropout = new Dropout(0.5, gen);
        Assert.InRange(MaxDifference(dropout, [32], 15), 0, 0);
        Assert.True(dropout.IsTraining is false, "MaxDifference evaluates in eval mode");
        dropout.Train();
        var graph = OnnxExport.BuildModel(dropout, ["N", 4]);
        using var session = OnnxSession.FromBytes(graph.ToBytes());
        var x = new float[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        Assert.Equal(x, session.Run(new Dictionary<string, OnnxTensor> { ["input"] = OnnxTensor.Create(x, 2, 4) })["output"].GetData<float>());
    }

    [Fact]
    public void SequentialMlp_MatchesLibtorch_AnyBatch()
    {
        using var gen = new Generator(16);
        using var mlp = new Sequential(
            new Linear(12, 32, gen), new LayerNorm(32), new Gelu(), new Dropout(0.1, gen),
            new Linear(32, 32, gen), new Silu(),
            new Sequential(new Linear(32, 16, gen), new Relu(), new LayerNorm(16, elementwiseAffine: false)),
            new Linear(16, 3, gen, bias: false), new Gelu(tanhApproximation: false));
        var norm = (LayerNorm)mlp.Modules[1];
        Randomize(norm.Weight!, gen);
        Randomize(norm.Bias!, gen);
        Assert.InRange(MaxDifference(mlp, [12], 17, 2, 1, 3, 64), 0, Tolerance);
    }

    [Fact]
    public void BuildModel_DeclaresDynamicBatchInput()
    {
        using var gen = new Generator(18);
        using var linear = new Linear(3, 2, gen);
        using var session = OnnxSession.FromBytes(OnnxExport.BuildModel(linear, ["N", 3], ["N", 2], "features", "score").ToBytes());
        var input = Assert.Single(session.Inputs);
        Assert.Equal("features", input.Name);
        Assert.Equal(2, input.Rank);
        Assert.Equal("score", Assert.Single(session.Outputs).Name);
        var result = session.Run(new Dictionary<string, OnnxTensor> { ["features"] = OnnxTensor.Create(new float[33], 11, 3) });
        Assert.Equal(new long[] { 11, 2 }, result["score"].Shape);
    }

    [Fact]
    public void Float64Module_IsExportedAsFloat32()
    {
        using var gen = new Generator(19);
        using var linear = new Linear(4, 3, gen, dtype: DType.Float64);
        var graph = OnnxExport.BuildModel(linear, ["N", 4]);
        using var session = OnnxSession.FromBytes(graph.ToBytes());
        var x = new double[] { 0.5, -1, 2, 0.25, 1, 1, -1, 3 };
        using var scope = Tensor.NewScope();
        float[] expected;
        using (new NoGradScope()) expected = linear.Forward(Tensor.FromArray(x, [2, 4])).To(DType.Float32).ToFloatArray();
        var actual = session.Run(new Dictionary<string, OnnxTensor> { ["input"] = OnnxTensor.Create(x.Select(v => (float)v).ToArray(), 2, 4) })["output"].GetData<float>();
        for (int i = 0; i < expected.Length; i++) Assert.InRange(Math.Abs(actual[i] - expected[i]), 0, Tolerance);
    }

    [Fact]
    public void NonExportableChild_IsNamedInTheError()
    {
        using var gen = new Generator(20);
        using var net = new Sequential(new Linear(2, 2, gen), new Sequential(new Relu(), new Doubler()));
        var error = Assert.Throws<NotSupportedException>(() => OnnxExport.BuildModel(net, ["N", 2]));
        Assert.Contains("'1.1'", error.Message);
        Assert.Contains(nameof(Doubler), error.Message);
        Assert.Contains(nameof(IOnnxExportable), error.Message);
    }

    [Fact]
    public void NonExportableRoot_IsRefused()
    {
        using var doubler = new Doubler();
        var graph = new OnnxGraphBuilder();
        string x = graph.AddInput("x", OnnxElementType.Float, "N", 2);
        var error = Assert.Throws<NotSupportedException>(() => OnnxExport.Emit(doubler, graph, x));
        Assert.Contains("(root)", error.Message);
    }

    [Fact]
    public void Emit_UnknownInput_IsRefused()
    {
        using var relu = new Relu();
        var graph = new OnnxGraphBuilder();
        var error = Assert.Throws<ArgumentException>(() => OnnxExport.Emit(relu, graph, "missing"));
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public void EmitWithPrefix_NamesInitializersLikeParameters()
    {
        using var gen = new Generator(21);
        using var mlp = new Sequential(new Linear(2, 3, gen), new Silu(), new Linear(3, 1, gen));
        var graph = new OnnxGraphBuilder();
        string x = graph.AddInput("x", OnnxElementType.Float, "N", 2);
        OnnxExport.Emit(mlp, graph, x, "head");
        // The names are reserved now, so asking for them again yields suffixed ones.
        foreach (var name in mlp.NamedParameters().Select(p => "head." + p.Key))
            Assert.Equal(name + "_1", graph.UniqueName(name));
    }
}
