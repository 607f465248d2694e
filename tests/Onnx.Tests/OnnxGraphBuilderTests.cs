using MlNetStem.Onnx.Proto;
using MlNetStem.Onnx.Writer;

namespace MlNetStem.Onnx.Tests;

public sealed class OnnxGraphBuilderTests
{
    /// <summary>
    /// acc ← x; repeat M times (M a runtime input): acc ← 2·acc + x; also emits each iteration
    /// number as a scan output. So acc_M = (2^(M+1) − 1)·x and iters = [0, 1, ..., M−1].
    /// </summary>
    private static byte[] BuildLoopModel()
    {
        var g = new OnnxGraphBuilder("loop");
        string m = g.AddInput("M", OnnxElementType.Int64);
        string x = g.AddInput("x", OnnxElementType.Float, "N", 3);
        string two = g.AddInitializer("two", [2f]);

        var body = g.CreateSubgraph("body");
        string i = body.AddInput("i", OnnxElementType.Int64);
        string condIn = body.AddInput("cond_in", OnnxElementType.Bool);
        string accIn = body.AddInput("acc_in", OnnxElementType.Float, null);
        string condOut = body.AddNode("Identity", [condIn]);
        // Reads 'x' and 'two' from the enclosing graph.
        string accOut = body.AddNode("Add", [body.AddNode("Mul", [accIn, two]), x]);
        string iterAsFloat = body.AddNode("Cast", [i], OnnxAttribute.Int("to", (long)OnnxElementType.Float));
        body.AddOutput(condOut, OnnxElementType.Bool);
        body.AddOutput(accOut, OnnxElementType.Float, null);
        body.AddOutput(iterAsFloat, OnnxElementType.Float);

        g.AddNode("Loop", "", [m, "", x], ["acc", "iters"], OnnxAttribute.Graph("body", body));
        g.AddOutput("acc", OnnxElementType.Float, "N", 3);
        g.AddOutput("iters", OnnxElementType.Float, "M");
        return g.ToBytes();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    public void Loop_RuntimeTripCount_MatchesReference(long tripCount)
    {
        using var session = OnnxSession.FromBytes(BuildLoopModel());
        var x = new float[] { 1, -2, 0.5f, 3, 0, -1 };
        var result = session.Run(new Dictionary<string, OnnxTensor>
        {
            ["M"] = OnnxTensor.Scalar(tripCount),
            ["x"] = OnnxTensor.Create(x, 2, 3),
        });
        float factor = (float)(Math.Pow(2, tripCount + 1) - 1);
        Reference.AssertClose(x.Select(v => v * factor).ToArray(), result["acc"].GetData<float>());
        Assert.Equal(Enumerable.Range(0, (int)tripCount).Select(k => (float)k).ToArray(), result["iters"].GetData<float>());
        Assert.Equal(new long[] { tripCount }, result["iters"].Shape);
    }

    [Fact]
    public void Loop_Metadata_ShowsScalarInt64TripCount()
    {
        using var session = OnnxSession.FromBytes(BuildLoopModel());
        var m = session.Inputs.Single(i => i.Name == "M");
        Assert.Equal(OnnxElementType.Int64, m.ElementType);
        Assert.Equal(0, m.Rank);
    }

    [Fact]
    public void AttentionBlock_LayerNormSoftmax_MatchesReference()
    {
        const int n = 2, t = 3, d = 4;
        var rng = new Random(21);
        var gamma = Reference.RandomArray(rng, d);
        var beta = Reference.RandomArray(rng, d);
        var wq = Reference.RandomArray(rng, d * d);
        var wk = Reference.RandomArray(rng, d * d);
        var wv = Reference.RandomArray(rng, d * d);

        var g = new OnnxGraphBuilder("attention");
        string x = g.AddInput("x", OnnxElementType.Float, "N", t, d);
        string h = g.LayerNorm(x, gamma, beta);
        string q = g.Linear(h, wq, d, d, name: "q");
        string k = g.Linear(h, wk, d, d, name: "k");
        string v = g.Linear(h, wv, d, d, name: "v");
        string scale = g.AddInitializer("scale", [(float)(1 / Math.Sqrt(d))]);
        string scores = g.AddNode("Mul", [g.AddNode("MatMul", [q, g.Transpose(k, 0, 2, 1)]), scale]);
        string attn = g.Softmax(scores);
        string y = g.AddNode("Add", [g.AddNode("MatMul", [attn, v]), x]);
        g.AddOutput(y, OnnxElementType.Float, "N", t, d);
        g.AddOutput(attn, OnnxElementType.Float, "N", t, t);

        var xs = Reference.RandomArray(rng, n * t * d, 2);
        using var session = OnnxSession.FromBytes(g.ToBytes());
        var result = session.Run(new Dictionary<string, OnnxTensor> { ["x"] = OnnxTensor.Create(xs, n, t, d) });

        // Reference, batch by batch.
        var ln = Reference.LayerNorm(xs, d, gamma, beta);
        var qs = Reference.Linear(ln, n * t, d, wq, null, d);
        var ks = Reference.Linear(ln, n * t, d, wk, null, d);
        var vs = Reference.Linear(ln, n * t, d, wv, null, d);
        var expectedY = new float[n * t * d];
        var expectedAttn = new double[n * t * t];
        for (int b = 0; b < n; b++)
        {
            for (int i = 0; i < t; i++)
                for (int j = 0; j < t; j++)
                {
                    double s = 0;
                    for (int c = 0; c < d; c++) s += qs[(b * t + i) * d + c] * (double)ks[(b * t + j) * d + c];
                    expectedAttn[(b * t + i) * t + j] = s / Math.Sqrt(d);
                }
        }
        Reference.SoftmaxRows(expectedAttn, t);
        for (int b = 0; b < n; b++)
            for (int i = 0; i < t; i++)
                for (int c = 0; c < d; c++)
                {
                    double s = xs[(b * t + i) * d + c];
                    for (int j = 0; j < t; j++) s += expectedAttn[(b * t + i) * t + j] * vs[(b * t + j) * d + c];
                    expectedY[(b * t + i) * d + c] = (float)s;
                }

        Reference.AssertClose(expectedAttn.Select(a => (float)a).ToArray(), result[attn].GetData<float>());
        Reference.AssertClose(expectedY, result[y].GetData<float>());
    }

    [Fact]
    public void Gelu_MatchesErfFormula()
    {
        var g = new OnnxGraphBuilder();
        string x = g.AddInput("x", OnnxElementType.Float, "N");
        g.AddOutput(g.Gelu(x), OnnxElementType.Float, "N");
        var xs = new float[] { -3, -1, -0.25f, 0, 0.5f, 2, 4 };
        using var session = OnnxSession.FromBytes(g.ToBytes());
        var y = session.Run(new Dictionary<string, OnnxTensor> { ["x"] = OnnxTensor.Create(xs, xs.Length) }).Single().Value;
        // erf(±3/√2), erf(±1/√2)... from a high-precision table would be overkill: use the
        // Abramowitz-Stegun 7.1.26 erf (|error| < 1.5e-7).
        static double Erf(double z)
        {
            double t = 1 / (1 + 0.3275911 * Math.Abs(z));
            double p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
            return Math.Sign(z) * (1 - p * Math.Exp(-z * z));
        }
        Reference.AssertClose(xs.Select(v => (float)(0.5 * v * (1 + Erf(v / Math.Sqrt(2))))).ToArray(), y.GetData<float>());
    }

    [Fact]
    public void ToBytes_SameGraphTwice_IsByteIdentical() =>
        Assert.Equal(TestModels.BuildMlp(4).Bytes, TestModels.BuildMlp(4).Bytes);

    [Fact]
    public void ToBytes_WritesOpset17AndIrVersion8AndMetadata()
    {
        var g = new OnnxGraphBuilder();
        g.AddMetadata("seed", "42");
        g.SetOpset("com.microsoft", 1);
        string x = g.AddInput("x", OnnxElementType.Float, 1);
        g.AddOutput(g.AddNode("Neg", [x]), OnnxElementType.Float, 1);
        var model = ModelProto.Parser.ParseFrom(g.ToBytes());
        Assert.Equal(8, model.IrVersion);
        Assert.Contains(model.OpsetImport, o => o.Domain == "" && o.Version == 17);
        Assert.Contains(model.OpsetImport, o => o.Domain == "com.microsoft" && o.Version == 1);
        Assert.Equal("42", model.MetadataProps.Single(p => p.Key == "seed").Value);
    }

    [Fact]
    public void AddNode_UndefinedInput_ThrowsArgumentExceptionNamingIt()
    {
        var g = new OnnxGraphBuilder();
        var e = Assert.Throws<ArgumentException>(() => g.AddNode("Relu", ["nowhere"]));
        Assert.Contains("'nowhere'", e.Message);
    }

    [Fact]
    public void AddInput_DuplicateName_Throws_UniqueNameAvoidsIt()
    {
        var g = new OnnxGraphBuilder();
        g.AddInput("x", OnnxElementType.Float, 1);
        Assert.Throws<ArgumentException>(() => g.AddInput("x", OnnxElementType.Float, 1));
        Assert.Equal("x_1", g.UniqueName("x"));
        Assert.Equal("x_2", g.UniqueName("x"));
        Assert.Equal("w", g.AddInitializer("w", [1f], 1));
        Assert.Equal("w_1", g.AddInitializer("w", [1f], 1));
    }

    [Fact]
    public void AddInputWithDefault_IsNotARequiredInput_RunsWithTheDefault_AndTakesAFedValue()
    {
        var g = new OnnxGraphBuilder();
        string x = g.AddInput("x", OnnxElementType.Float, "N");
        string shift = g.AddInputWithDefault("shift", [3]);
        g.AddNode("Add", "", [x, g.AddNode("Cast", [shift], OnnxAttribute.Int("to", (long)OnnxElementType.Float))], ["y"]);
        g.AddOutput("y", OnnxElementType.Float, "N");
        byte[] bytes = g.ToBytes();

        using var session = OnnxSession.FromBytes(bytes);
        Assert.Equal(["x"], session.Inputs.Select(i => i.Name));
        Assert.Equal([4f, 5f], session.Run(new Dictionary<string, OnnxTensor> { ["x"] = OnnxTensor.Create(new[] { 1f, 2f }, 2) })["y"].GetData<float>());
        // Stock ONNX Runtime lists it as an overridable initializer and takes a value fed under its name.
        using var stock = new Microsoft.ML.OnnxRuntime.InferenceSession(bytes);
        Assert.Equal(["shift"], stock.OverridableInitializerMetadata.Keys);
        using var results = stock.Run([
            Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("x", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(new[] { 1f, 2f }, [2])),
            Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("shift", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>(new[] { 10L }, Array.Empty<int>())),
        ]);
        Assert.Equal([11f, 12f], results.Single().AsTensor<float>().ToArray());

        Assert.Throws<ArgumentException>(() => g.AddInputWithDefault("shift", [1]));      // the name is taken
        Assert.Throws<ArgumentException>(() => g.AddInputWithDefault("pair", [1, 2]));    // a scalar holds one value
        Assert.Throws<InvalidOperationException>(() => g.CreateSubgraph("body").AddInputWithDefault("inner", [1]));
    }

    [Fact]
    public void AddNode_RepeatedAttribute_Throws()
    {
        var g = new OnnxGraphBuilder();
        string x = g.AddInput("x", OnnxElementType.Float, 2);
        Assert.Throws<ArgumentException>(() => g.AddNode("Softmax", [x], OnnxAttribute.Int("axis", 0), OnnxAttribute.Int("axis", 0)));
    }

    [Fact]
    public void AddInitializer_DataNotMatchingShape_Throws() =>
        Assert.Throws<ArgumentException>(() => new OnnxGraphBuilder().AddInitializer("w", new float[5], 2, 3));

    [Fact]
    public void Save_SubgraphOrNoOutputs_ThrowsInvalidOperation()
    {
        var g = new OnnxGraphBuilder();
        Assert.Throws<InvalidOperationException>(() => g.ToBytes());
        Assert.Throws<InvalidOperationException>(() => g.CreateSubgraph("body").ToBytes());
    }

    [Fact]
    public void GraphAttribute_SubgraphOfAnotherGraph_Throws()
    {
        var a = new OnnxGraphBuilder();
        var b = new OnnxGraphBuilder();
        string x = b.AddInput("cond", OnnxElementType.Bool);
        var foreign = a.CreateSubgraph("then");
        Assert.Throws<ArgumentException>(() =>
            b.AddNode("If", [x], OnnxAttribute.Graph("then_branch", foreign), OnnxAttribute.Graph("else_branch", foreign)));
    }

    [Fact]
    public void If_WithTwoBranches_PicksBranchAtRunTime()
    {
        var g = new OnnxGraphBuilder();
        string c = g.AddInput("c", OnnxElementType.Bool);
        string x = g.AddInput("x", OnnxElementType.Float, 2);
        var thenBranch = g.CreateSubgraph("then");
        thenBranch.AddOutput(thenBranch.AddNode("Neg", [x]), OnnxElementType.Float, 2);
        var elseBranch = g.CreateSubgraph("else");
        elseBranch.AddOutput(elseBranch.AddNode("Abs", [x]), OnnxElementType.Float, 2);
        string y = g.AddNode("If", [c], OnnxAttribute.Graph("then_branch", thenBranch), OnnxAttribute.Graph("else_branch", elseBranch));
        g.AddOutput(y, OnnxElementType.Float, 2);
        using var session = OnnxSession.FromBytes(g.ToBytes());
        float[] Run(bool cond) => session.Run(new Dictionary<string, OnnxTensor>
        {
            ["c"] = OnnxTensor.Scalar(cond),
            ["x"] = OnnxTensor.Create(new[] { -1f, 2f }, 2),
        }).Single().Value.GetData<float>();
        Assert.Equal(new[] { 1f, -2f }, Run(true));
        Assert.Equal(new[] { 1f, 2f }, Run(false));
    }

    [Fact]
    public void Save_ToPath_WritesLoadableModelAtomically()
    {
        string dir = Directory.CreateTempSubdirectory("onnx-save-").FullName;
        try
        {
            string path = Path.Combine(dir, "mlp.onnx");
            File.WriteAllText(path, "old contents");
            var g = new OnnxGraphBuilder();
            string x = g.AddInput("x", OnnxElementType.Float, "N", 2);
            g.AddOutput(g.AddNode("Relu", [x]), OnnxElementType.Float, "N", 2);
            g.Save(path);
            Assert.Equal(g.ToBytes(), File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(dir)); // no temp file left behind
            using var session = OnnxSession.Load(path);
            Assert.Equal("x", session.Inputs.Single().Name);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
