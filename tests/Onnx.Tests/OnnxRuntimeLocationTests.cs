using MlNetStem.Onnx.Interop;

namespace MlNetStem.Onnx.Tests;

public sealed class OnnxRuntimeLocationTests
{
    [Fact]
    public void Resolve_NoLibraryAboveBaseDirectory_TellsUserToRunSetup()
    {
        string empty = Directory.CreateTempSubdirectory("no-ort-").FullName;
        try
        {
            var e = Assert.Throws<DllNotFoundException>(() => OrtNative.ResolveLibraryPath(null, empty));
            Assert.Contains("scripts/setup.sh", e.Message);
            Assert.Contains(OnnxRuntime.LibraryPathVariable, e.Message);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public void Resolve_VariablePointingNowhere_NamesVariableAndPath()
    {
        var e = Assert.Throws<DllNotFoundException>(() => OrtNative.ResolveLibraryPath("/nonexistent/libonnxruntime.so.1", "/"));
        Assert.Contains(OnnxRuntime.LibraryPathVariable, e.Message);
        Assert.Contains("/nonexistent/libonnxruntime.so.1", e.Message);
    }

    [Fact]
    public void Resolve_VariableSet_WinsOverNativeFolder()
    {
        // The base directory of the tests has a .native folder above it, yet the variable wins.
        string copyLocation = Path.GetTempFileName();
        try
        {
            Assert.Equal(copyLocation, OrtNative.ResolveLibraryPath(copyLocation, AppContext.BaseDirectory));
        }
        finally
        {
            File.Delete(copyLocation);
        }
    }

    [Fact]
    public void Resolve_WalksUpToNativeFolder()
    {
        string root = Directory.CreateTempSubdirectory("ort-root-").FullName;
        try
        {
            string lib = Path.Combine(root, ".native", "lib", "libonnxruntime.so.1");
            Directory.CreateDirectory(Path.GetDirectoryName(lib)!);
            File.WriteAllBytes(lib, []);
            string deep = Directory.CreateDirectory(Path.Combine(root, "tests", "bin", "Release")).FullName;
            Assert.Equal(lib, OrtNative.ResolveLibraryPath(null, deep));
            Assert.Equal(lib, OrtNative.ResolveLibraryPath("  ", deep)); // blank variable is ignored
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
