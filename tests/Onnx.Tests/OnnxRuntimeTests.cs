using Ort = Microsoft.ML.OnnxRuntime;

namespace MlNetStem.Onnx.Tests;

/// <summary>Which runtime is loaded, from where, and how its errors reach callers.</summary>
public sealed class OnnxRuntimeTests
{
    [Fact]
    public void Version_IsTheNuGetPackages()
    {
        string version = OnnxRuntime.Version; // first, so that our code creates ORT's environment
#if ORT_GPU
        Assert.Equal("1.31.0", version); // Microsoft.ML.OnnxRuntime.Gpu.Linux
#else
        Assert.Equal("1.31.1", version); // Microsoft.ML.OnnxRuntime
#endif
        Assert.Equal(Ort.OrtEnv.Instance().GetVersionString(), version);
    }

    [Fact]
    public void LibraryPath_IsTheCopyInThisTestsOutput()
    {
        // The package's native asset is copied under the test's own bin folder and loaded from
        // there: nothing comes from .native/ or a system folder any more.
        string path = OnnxRuntime.LibraryPath;
        Assert.True(File.Exists(path), path);
        Assert.StartsWith(Path.GetFullPath(AppContext.BaseDirectory), path);
        Assert.Equal("libonnxruntime.so", Path.GetFileName(path));
    }

    [Fact]
    public void LibraryName_MatchesRuntimeNotProviderLibraries()
    {
        Assert.True(OnnxRuntime.IsRuntimeLibraryName("libonnxruntime.so"));
        Assert.True(OnnxRuntime.IsRuntimeLibraryName("libonnxruntime.so.1.31.1"));
        Assert.False(OnnxRuntime.IsRuntimeLibraryName("libonnxruntime_providers_shared.so"));
        Assert.False(OnnxRuntime.IsRuntimeLibraryName("libonnxruntime_providers_cuda.so"));
    }

#if ORT_GPU
    [Fact]
    public void ExecutionProviders_GpuBuildHasCudaAndCpu()
    {
        Assert.Contains("CPUExecutionProvider", OnnxRuntime.ExecutionProviders);
        Assert.Contains(OnnxRuntime.CudaExecutionProvider, OnnxRuntime.ExecutionProviders);
    }
#else
    [Fact]
    public void ExecutionProviders_CpuBuildHasCpuButNotCuda()
    {
        Assert.Contains("CPUExecutionProvider", OnnxRuntime.ExecutionProviders);
        Assert.DoesNotContain(OnnxRuntime.CudaExecutionProvider, OnnxRuntime.ExecutionProviders);
    }
#endif

    [Fact]
    public void EnsureLoaded_UsesOrtsSingletonEnvironment()
    {
        OnnxRuntime.EnsureLoaded();
        Assert.True(Ort.OrtEnv.IsCreated);
        Assert.Same(Ort.OrtEnv.Instance(), OnnxRuntime.Env);
        // Created by us, with warnings silenced (ORT would print them on the host's stderr).
        Assert.Equal(Ort.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, OnnxRuntime.Env.EnvLogLevel);
    }

    [Fact]
    public void Wrap_ParsesOrtsErrorCodeAndKeepsOperationAndInnerException()
    {
        OnnxRuntime.EnsureLoaded(); // our environment first (see EnsureLoaded_UsesOrtsSingletonEnvironment)
        // A real ORT exception: its code is only in the message prefix.
        var ort = Assert.ThrowsAny<Ort.OnnxRuntimeException>(() => new Ort.InferenceSession(new byte[] { 1, 2, 3, 4, 5 }));
        Assert.StartsWith("[ErrorCode:", ort.Message);
        var ours = OnnxRuntime.Wrap("CreateSessionFromArray", ort);
        Assert.Equal("CreateSessionFromArray", ours.Operation);
        Assert.Equal(OnnxErrorCode.InvalidProtobuf, ours.ErrorCode);
        Assert.DoesNotContain("[ErrorCode:", ours.NativeMessage);
        Assert.StartsWith("ONNX Runtime CreateSessionFromArray failed (InvalidProtobuf): ", ours.Message);
        Assert.Same(ort, ours.InnerException);
    }

    [Fact]
    public void Exception_MessageIsOneLineWhateverTheNativeText()
    {
        var e = new OnnxRuntimeException("Run", OnnxErrorCode.Fail, "first line\r\n  second line\n\nthird");
        Assert.Equal("ONNX Runtime Run failed (Fail): first line second line third", e.Message);
        Assert.Equal("first line\r\n  second line\n\nthird", e.NativeMessage);
    }
}
