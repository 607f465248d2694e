using MlNetStem.Onnx.Writer;

namespace MlNetStem.Onnx.Tests;

public sealed class OnnxSessionTests
{
    private static readonly TestModels.Mlp Mlp = TestModels.BuildMlp();

    private static Dictionary<string, OnnxTensor> X(float[] data, params long[] shape) =>
        new() { ["x"] = OnnxTensor.Create(data, shape) };

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
        Assert.Equal(OnnxErrorCode.InvalidProtobuf, e.ErrorCode);
        Assert.False(string.IsNullOrEmpty(e.NativeMessage));
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void FromBytes_CorruptModel_ThrowsOurExceptionWithOneLineMessage()
    {
        // A valid model whose first bytes were zeroed: field tag 0 is not valid protobuf.
        var corrupt = (byte[])Mlp.Bytes.Clone();
        corrupt.AsSpan(0, 8).Clear();
        var e = Assert.Throws<OnnxRuntimeException>(() => OnnxSession.FromBytes(corrupt));
        Assert.Equal("CreateSessionFromArray", e.Operation);
        Assert.NotEqual(OnnxErrorCode.Ok, e.ErrorCode);
        Assert.StartsWith($"ONNX Runtime CreateSessionFromArray failed ({e.ErrorCode}): ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\r', e.Message);
        Assert.IsType<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(e.InnerException);
    }

    [Fact]
    public void FromBytes_UnknownOperator_ThrowsOurExceptionWithOneLineMessage()
    {
        // Well-formed protobuf, but a graph ORT cannot build: only the runtime can tell.
        var g = new OnnxGraphBuilder();
        string x = g.AddInput("x", OnnxElementType.Float, "N");
        g.AddOutput(g.AddNode("NoSuchOperator", [x]), OnnxElementType.Float, "N");
        var e = Assert.Throws<OnnxRuntimeException>(() => OnnxSession.FromBytes(g.ToBytes()));
        Assert.Equal("CreateSessionFromArray", e.Operation);
        Assert.Contains("NoSuchOperator", e.NativeMessage);
        Assert.DoesNotContain('\n', e.Message);
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
    public void Options_ReachOnnxRuntimesSessionOptions()
    {
        // Each setter of ORT's SessionOptions records its value only after the native call accepted it, so these read
        // back what ONNX Runtime was told; the defaults differ, so a dropped option would show.
        using (var native = OnnxSession.CreateOptions(new OnnxSessionOptions
               {
                   IntraOpThreads = 3, InterOpThreads = 2, ParallelExecution = true, OptimizationLevel = OnnxGraphOptimizationLevel.Basic,
               }))
        {
            Assert.Equal(3, native.IntraOpNumThreads);
            Assert.Equal(2, native.InterOpNumThreads);
            Assert.Equal(Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_PARALLEL, native.ExecutionMode);
            Assert.Equal(Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_BASIC, native.GraphOptimizationLevel);
        }
        using (var defaults = OnnxSession.CreateOptions(OnnxSessionOptions.Default))
        {
            Assert.Equal(0, defaults.IntraOpNumThreads);
            Assert.Equal(Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_SEQUENTIAL, defaults.ExecutionMode);
            Assert.Equal(Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL, defaults.GraphOptimizationLevel);
        }
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

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, -1)]
    [InlineData(int.MinValue, 0)]
    public void Options_NegativeThreads_ThrowBeforeNativeCall(int intra, int inter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            OnnxSession.FromBytes(Mlp.Bytes, new OnnxSessionOptions { IntraOpThreads = intra, InterOpThreads = inter }));
        Assert.Equal(intra < 0 ? "IntraOpThreads" : "InterOpThreads", e.ParamName);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Options_PositiveThreadCounts_AreAcceptedAndGiveTheSameOutputs(int threads)
    {
        using var session = OnnxSession.FromBytes(Mlp.Bytes,
            new OnnxSessionOptions { IntraOpThreads = threads, InterOpThreads = threads, ParallelExecution = true });
        var x = Reference.RandomArray(new Random(17), 32 * TestModels.MlpIn);
        Reference.AssertClose(Mlp.Expected(x, 32), session.Run(X(x, 32, TestModels.MlpIn))["y"].GetData<float>());
    }

    [Fact]
    public void Options_EveryOptimizationLevel_GivesTheSameOutputs()
    {
        var x = Reference.RandomArray(new Random(19), 16 * TestModels.MlpIn);
        float[]? first = null;
        foreach (var level in Enum.GetValues<OnnxGraphOptimizationLevel>())
        {
            using var session = OnnxSession.FromBytes(Mlp.Bytes, new OnnxSessionOptions { OptimizationLevel = level });
            float[] y = session.Run(X(x, 16, TestModels.MlpIn))["y"].GetData<float>();
            Reference.AssertClose(Mlp.Expected(x, 16), y);
            if (first is null) first = y;
            else Reference.AssertClose(first, y); // fusions may reorder float sums, never change results beyond rounding
        }
    }

    [Fact]
    public void Options_UnknownOptimizationLevel_ThrowsBeforeNativeCall()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            OnnxSession.FromBytes(Mlp.Bytes, new OnnxSessionOptions { OptimizationLevel = (OnnxGraphOptimizationLevel)5 }));
        Assert.Equal("OptimizationLevel", e.ParamName);
    }

    [Fact]
    public void Options_ConfigEntries_TakeEffect()
    {
        // Told to expect the ORT flatbuffer format, the runtime must reject ONNX protobuf bytes;
        // told ONNX, it loads them. Either way the error comes back as ours, on one line.
        var asOrt = new OnnxSessionOptions { ConfigEntries = new Dictionary<string, string> { ["session.load_model_format"] = "ORT" } };
        var e = Assert.Throws<OnnxRuntimeException>(() => OnnxSession.FromBytes(Mlp.Bytes, asOrt));
        Assert.Equal("CreateSessionFromArray", e.Operation);
        Assert.DoesNotContain('\n', e.Message);
        var asOnnx = asOrt with { ConfigEntries = new Dictionary<string, string> { ["session.load_model_format"] = "ONNX" } };
        using var session = OnnxSession.FromBytes(Mlp.Bytes, asOnnx);
        Assert.Equal("y", Assert.Single(session.Outputs).Name);
    }

#if ORT_GPU
    [Fact]
    public void Options_CudaOnGpuBuild_RunsOrFailsAsOurException()
    {
        // With a usable GPU the session runs (on CUDA, falling back to CPU per operator); without
        // CUDA/cuDNN or a device, ORT's error must come back translated and on one line.
        OnnxSession session;
        try
        {
            session = OnnxSession.FromBytes(Mlp.Bytes, new OnnxSessionOptions { CudaDeviceId = 0 });
        }
        catch (OnnxRuntimeException e)
        {
            Assert.Equal("SessionOptionsAppendExecutionProvider_CUDA", e.Operation);
            Assert.DoesNotContain('\n', e.Message);
            return;
        }
        using (session)
        {
            var x = Reference.RandomArray(new Random(29), 8 * TestModels.MlpIn);
            Reference.AssertClose(Mlp.Expected(x, 8), session.Run(X(x, 8, TestModels.MlpIn))["y"].GetData<float>(), 1e-4);
        }
    }
#else
    [Fact]
    public void Options_CudaOnCpuBuild_FailsWithClearMessage()
    {
        var e = Assert.Throws<OnnxRuntimeException>(() =>
            OnnxSession.FromBytes(Mlp.Bytes, new OnnxSessionOptions { CudaDeviceId = 0 }));
        Assert.Equal(OnnxErrorCode.NotImplemented, e.ErrorCode);
        Assert.Contains("CPU build", e.Message);
        Assert.Contains("-p:OnnxRuntimeGpu=true", e.Message);
        Assert.Contains("CPUExecutionProvider", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            OnnxSession.FromBytes(Mlp.Bytes, new OnnxSessionOptions { CudaDeviceId = -1 }));
    }
#endif

    [Fact]
    public async Task Dispose_WhileRunsInFlightOnOtherThreads_LetsThemFinish()
    {
        var session = OnnxSession.FromBytes(Mlp.Bytes, new OnnxSessionOptions { IntraOpThreads = 1 });
        var x = Reference.RandomArray(new Random(23), 256 * TestModels.MlpIn);
        float[] expected = Mlp.Expected(x, 256);
        using var started = new CountdownEvent(2);
        var runs = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            started.Signal();
            int completed = 0;
            try
            {
                while (true)
                {
                    Reference.AssertClose(expected, session.Run(X(x, 256, TestModels.MlpIn))["y"].GetData<float>());
                    completed++;
                }
            }
            catch (ObjectDisposedException)
            {
                return completed; // every run either completed correctly or was refused up front
            }
        })).ToArray();
        started.Wait();
        await Task.Delay(50);
        session.Dispose();
        int[] completed = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(completed, n => Assert.True(n > 0));
    }

    [Fact]
    public void Tensor_ShapeNotMatchingData_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => OnnxTensor.Create(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => OnnxTensor.Create(new float[0], -1));
        Assert.Throws<InvalidOperationException>(() => OnnxTensor.Create(new float[1], 1).GetData<long>());
    }
}
