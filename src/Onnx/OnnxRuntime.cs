using MlNetStem.Onnx.Interop;

namespace MlNetStem.Onnx;

/// <summary>
/// Process-wide facts about the loaded ONNX Runtime. The library is loaded and the single
/// environment created lazily, on first use of any member here or of <see cref="OnnxSession"/>.
/// </summary>
public static class OnnxRuntime
{
    /// <summary>
    /// Environment variable holding the full path of the ONNX Runtime shared library to use
    /// (for example a CUDA build). When unset, the nearest <c>.native/lib/libonnxruntime.so.1</c>
    /// above the application directory is used (scripts/setup.sh puts it there).
    /// </summary>
    public const string LibraryPathVariable = "MLNETSTEM_ORT_LIB";

    /// <summary>The runtime's own version string, e.g. "1.30.0".</summary>
    /// <exception cref="DllNotFoundException">The library is missing or unusable.</exception>
    public static string Version => OrtNative.Version;

    /// <summary>Full path of the library that was loaded.</summary>
    /// <exception cref="DllNotFoundException">The library is missing or unusable.</exception>
    public static string LibraryPath => OrtNative.LibraryPath;

    /// <summary>Loads the library and creates the environment now, so failures surface early.</summary>
    /// <exception cref="DllNotFoundException">The library is missing or unusable.</exception>
    /// <exception cref="OnnxRuntimeException">The environment could not be created.</exception>
    public static void EnsureLoaded() => _ = OrtNative.Api;
}
