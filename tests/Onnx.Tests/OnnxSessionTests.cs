using MlNetStem.Onnx.Writer;

namespace MlNetStem.Onnx.Tests;

public sealed class OnnxSessionTests
{
    private static readonly TestModels.Mlp Mlp = TestModels.BuildMlp();

    private static Dictionary<string, OnnxTensor> X(float[] data, params long[] shape) =>
        new() { ["x"] = OnnxTensor.Create(data, shape) };

    [Fact]
    public void Runtime_Loads_ReportsVersion130()
    {
        Assert.Equal("1.30.0", OnnxRuntime.Version);
        Assert.True(File.Exists(OnnxRuntime.LibraryPath));
    }

    [Fact]
    public void Mlp_Batch_MatchesHandComputedReference()
    {
        using var session = OnnxSession.FromBytes(Mlp.Bytes);
        var x = Reference.RandomArray(new Random(7), 5 * TestModels.MlpIn);
        var result = session.Run(X(x, 5, TestModels.MlpIn));
        var y = result["y"];
        Assert.Equal(new long[] { 5, TestModels.MlpOut }, y.Shape);
        Assert.Equal(OnnxElementType.Float, y.ElementType);
        Reference.AssertClose(Mlp.Expected(x, 5), y.GetData<float>());
    }

    [Fact]
    public void Metadata_ReportsNamesTypesAndSymbolicBatchDim()
    {
        using var session = OnnxSession.FromBytes(Mlp.Bytes);
        var input = Assert.Single(session.Inputs);
        Assert.Equal("x", input.Name);
        Assert.True(input.IsTensor);
        Assert.Equal(OnnxElementType.Float, input.ElementType);
        Assert.Equal(new long[] { -1, TestModels.MlpIn }, input.Dimensions);
        Assert.Equal(new[] { "N", "" }, input.SymbolicDimensions);
        var output = Assert.Single(session.Outputs);
        Assert.Equal("y", output.Name);
        Assert.Equal(new long[] { -1, TestModels.MlpOut }, output.Dimensions);
    }

    [Fact]
    public void Load_FromFile_RunsLikeFromBytes()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mlp-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, Mlp.Bytes);
        try
        {
            using var session = OnnxSession.Load(path);
            var x = Reference.RandomArray(new Random(3), 2 * TestModels.MlpIn);
            Reference.AssertClose(Mlp.Expected(x, 2), session.Run(X(x, 2, TestModels.MlpIn))["y"].GetData<float>());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Run_UnknownInputName_ThrowsArgumentExceptionNamingIt()
    {
        using var session = OnnxSession.FromBytes(Mlp.Bytes);
        var inputs = new Dictionary<string, OnnxTensor> { ["pixels"] = OnnxTensor.Create(new float[4], 1, 4) };
        var e = Assert.Throws<ArgumentException>(() => session.Run(inputs));
        Assert.Contains("'pixels'", e.Message);
        Assert.Contains("x: Float[N,4]", e.Message);
    }

    [Fact]
    public void Run_MissingInput_ThrowsArgumentExceptionNamingIt()
    {
        using var session = OnnxSession.FromBytes(Mlp.Bytes);
        var e = Assert.Throws<ArgumentException>(() => session.Run(new Dictionary<string, OnnxTensor>()));
        Assert.Contains("Missing model input(s): x", e.Message);
    }

    [Fact]
    public void Run_WrongRank_ThrowsArgumentExceptionWithExpectedAndActual()
    {
        using var session = OnnxSession.FromBytes(Mlp.Bytes);
        var e = Assert.Throws<ArgumentException>(() => session.Run(X(new float[8], 2, 1, 4)));
        Assert.Contains("'x'", e.Message);
        Assert.Contains("expected rank 2", e.Message);
        Assert.Contains("[2,1,4]", e.Message);
    }

    [Fact]
    public void Run_WrongFixedDim_ThrowsArgumentExceptionWithExpectedAndActual()
    {
        using var session = OnnxSession.FromBytes(Mlp.Bytes);
        var e = Assert.Throws<ArgumentException>(() => session.Run(X(new float[10], 2, 5)));
        Assert.Contains("dimension 1 must be 4", e.Message);
        Assert.Contains("[2,5]", e.Message);
    }

    [Fact]
    public void Run_WrongElementType_ThrowsArgumentExceptionWithBothTypes()
    {
        using var session = OnnxSession.FromBytes(Mlp.Bytes);
        var inputs = new Dictionary<string, OnnxTensor> { ["x"] = OnnxTensor.Create(new double[8], 2, 4) };
        var e = Assert.Throws<ArgumentException>(() => session.Run(inputs));
        Assert.Contains("expected element type Float, got Double", e.Message);
    }

    [Fact]
    public void Run_UnknownOrRepeatedOutputName_ThrowsArgumentException()
    {
        using var session = OnnxSession.FromBytes(Mlp.Bytes);
        var x = X(new float[4], 1, 4);
        Assert.Contains("no output 'logits'", Assert.Throws<ArgumentException>(() => session.Run(x, "logits")).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => session.Run(x, "y", "y")).Message);
    }

    [Fact]
    public void Run_SharedSymbolicDimWithDifferentSizes_ThrowsArgumentException()
    {
        var g = new OnnxGraphBuilder();
        string a = g.AddInput("a", OnnxElementType.Float, "N", 2);
        string b = g.AddInput("b", OnnxElementType.Float, "N", 2);
        g.AddOutput(g.AddNode("Add", [a, b]), OnnxElementType.Float, "N", 2);
        using var session = OnnxSession.FromBytes(g.ToBytes());
        var inputs = new Dictionary<string, OnnxTensor>
        {
            ["a"] = OnnxTensor.Create(new float[6], 3, 2),
            ["b"] = OnnxTensor.Create(new float[4], 2, 2),
        };
        var e = Assert.Throws<ArgumentException>(() => session.Run(inputs));
        Assert.Contains("Symbolic dimension 'N' is 3 in input 'a' but 2 in input 'b'", e.Message);
    }

    [Fact]
    public void Run_FailureInsideRuntime_ThrowsOnnxRuntimeExceptionWithNativeMessage()
    {
        // Reshape to a size that cannot hold the data: only the runtime can see this.
        var g = new OnnxGraphBuilder();
        string x = g.AddInput("x", OnnxElementType.Float, "N");
        g.AddOutput(g.Reshape(x, 3, 3), OnnxElementType.Float, 3, 3);
        using var session = OnnxSession.FromBytes(g.ToBytes());
        var e = Assert.Throws<OnnxRuntimeException>(() => session.Run(X(new float[5], 5)));
        Assert.Equal("Run", e.Operation);
        Assert.NotEqual(OnnxErrorCode.Ok, e.ErrorCode);
        Assert.Contains("Reshape", e.NativeMessage, StringComparison.OrdinalIgnoreCase);
        // The session stays usable after a failed run.
        Assert.Equal(9, session.Run(X(new float[9], 9)).Single().Value.ElementCount);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFoundException()
    {
        var e = Assert.Throws<FileNotFoundException>(() => OnnxSession.Load("/nonexistent/model.onnx"));
        Assert.Contains("/nonexistent/model.onnx", e.Message);
    }

    [Fact]
    public void FromBytes_GarbageBytes_ThrowsOnnxRuntimeException()
    {
        var garbage = new byte[256];
        new Random(5).NextBytes(garbage);
        var e = Assert.Throws<OnnxRuntimeException>(() => OnnxSession.FromBytes(garbage));
        Assert.Equal("CreateSessionFromArray", e.Operation);
        Assert.False(string.IsNullOrEmpty(e.NativeMessage));
    }

    [Fact]
    public void FromBytes_TruncatedModel_ThrowsOnnxRuntimeException()
    {
        var truncated = Mlp.Bytes.AsSpan(0, Mlp.Bytes.Length / 2).ToArray();
        Assert.Throws<OnnxRuntimeException>(() => OnnxSession.FromBytes(truncated));
    }

    [Fact]
    public void FromBytes_Empty_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => OnnxSession.FromBytes(ReadOnlySpan<byte>.Empty));

    [Fact]
    public void Run_AfterDispose_ThrowsObjectDisposedException()
    {
        var session = OnnxSession.FromBytes(Mlp.Bytes);
        session.Dispose();
        session.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => session.Run(X(new float[4], 1, 4)));
    }

    [Fact]
    public void Run_FromTwoThreads_GivesIdenticalResults()
    {
        using var session = OnnxSession.FromBytes(Mlp.Bytes, new OnnxSessionOptions { IntraOpThreads = 1 });
        const int n = 64;
        var x = Reference.RandomArray(new Random(11), n * TestModels.MlpIn);
        float[] expected = session.Run(X(x, n, TestModels.MlpIn))["y"].GetData<float>();
        var results = new float[2][][];
        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, t =>
        {
            results[t] = new float[50][];
            for (int i = 0; i < 50; i++) results[t][i] = session.Run(X(x, n, TestModels.MlpIn))["y"].GetData<float>();
        });
        foreach (var perThread in results)
            foreach (var r in perThread) Assert.Equal(expected, r);
    }

    [Fact]
    public void Run_Int64Tensors_RoundTrip()
    {
        var g = new OnnxGraphBuilder();
        string a = g.AddInput("a", OnnxElementType.Int64, "N");
        string ten = g.AddInitializer("ten", [10L]);
        g.AddOutput(g.AddNode("Mul", [a, ten]), OnnxElementType.Int64, "N");
        using var session = OnnxSession.FromBytes(g.ToBytes());
        var y = session.Run(new Dictionary<string, OnnxTensor> { ["a"] = OnnxTensor.Create(new long[] { 1, -2, 1L << 40 }, 3) });
        Assert.Equal(new long[] { 10, -20, 10L << 40 }, y.Single().Value.GetData<long>());
    }

    [Fact]
    public void Run_EmptyBatch_ReturnsEmptyOutput()
    {
        using var session = OnnxSession.FromBytes(Mlp.Bytes);
        var y = session.Run(X([], 0, TestModels.MlpIn))["y"];
        Assert.Equal(new long[] { 0, TestModels.MlpOut }, y.Shape);
        Assert.Empty(y.GetData<float>());
    }

    [Fact]
    public void Options_ExplicitThreadsAndOptimizationLevel_AreAccepted()
    {
        var options = new OnnxSessionOptions
        {
            IntraOpThreads = 1, InterOpThreads = 1, ParallelExecution = true, AllowSpinning = false,
            OptimizationLevel = OnnxGraphOptimizationLevel.Disabled,
            ConfigEntries = new Dictionary<string, string> { ["session.use_env_allocators"] = "0" },
        };
        using var session = OnnxSession.FromBytes(Mlp.Bytes, options);
        var x = Reference.RandomArray(new Random(2), TestModels.MlpIn);
        Reference.AssertClose(Mlp.Expected(x, 1), session.Run(X(x, 1, TestModels.MlpIn))["y"].GetData<float>());
    }

    [Fact]
    public void Options_NegativeThreads_ThrowBeforeNativeCall() =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            OnnxSession.FromBytes(Mlp.Bytes, new OnnxSessionOptions { IntraOpThreads = -1 }));

    [Fact]
    public void Tensor_ShapeNotMatchingData_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => OnnxTensor.Create(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => OnnxTensor.Create(new float[0], -1));
        Assert.Throws<InvalidOperationException>(() => OnnxTensor.Create(new float[1], 1).GetData<long>());
    }
}
