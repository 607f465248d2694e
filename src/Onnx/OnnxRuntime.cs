using System.Text.RegularExpressions;
using Ort = Microsoft.ML.OnnxRuntime;

namespace MlNetStem.Onnx;

/// <summary>
/// Process-wide facts about the loaded ONNX Runtime. The runtime comes from NuGet:
/// <c>Microsoft.ML.OnnxRuntime</c> (CPU, the default) or, when built with
/// <c>-p:OnnxRuntimeGpu=true</c>, <c>Microsoft.ML.OnnxRuntime.Gpu.Linux</c> (CUDA); the package
/// copies <c>libonnxruntime.so</c> into every consuming application's output and .NET loads it
/// from there. The library is loaded and the single environment created lazily, on first use
/// of any member here or of <see cref="OnnxSession"/>.
/// </summary>
public static partial class OnnxRuntime
{
    /// <summary>The name ONNX Runtime gives its CUDA execution provider.</summary>
    public const string CudaExecutionProvider = "CUDAExecutionProvider";

    private static readonly object Gate = new();
    private static volatile Ort.OrtEnv? _env;

    /// <summary>The runtime's own version string, e.g. "1.31.1".</summary>
    /// <exception cref="DllNotFoundException">The native library is missing or unusable.</exception>
    public static string Version => Call("GetVersionString", () => Env.GetVersionString());

    /// <summary>
    /// Full path of the native ONNX Runtime library this process loaded (read from the
    /// process's memory map, so it is the file actually in use, normally
    /// <c>runtimes/linux-x64/native/libonnxruntime.so</c> under the application directory).
    /// </summary>
    /// <exception cref="DllNotFoundException">The native library is missing or unusable, or the
    /// platform does not expose its memory map (only Linux is supported).</exception>
    public static string LibraryPath
    {
        get
        {
            EnsureLoaded();
            const string Maps = "/proc/self/maps";
            if (File.Exists(Maps))
            {
                foreach (string line in File.ReadLines(Maps))
                {
                    int slash = line.IndexOf('/');
                    if (slash < 0) continue;
                    string path = line[slash..];
                    if (IsRuntimeLibraryName(Path.GetFileName(path))) return path;
                }
            }
            throw new DllNotFoundException(
                "ONNX Runtime is loaded but its library file could not be found in /proc/self/maps.");
        }
    }

    /// <summary>
    /// Execution providers compiled into the loaded library, e.g. <c>CPUExecutionProvider</c>;
    /// the GPU build adds <see cref="CudaExecutionProvider"/> (listing it does not prove that
    /// CUDA itself is installed: <see cref="OnnxSessionOptions.CudaDeviceId"/> tells at session creation).
    /// </summary>
    /// <exception cref="DllNotFoundException">The native library is missing or unusable.</exception>
    public static IReadOnlyList<string> ExecutionProviders =>
        Call("GetAvailableProviders", () => Env.GetAvailableProviders());

    /// <summary>Loads the library and creates the environment now, so failures surface early.</summary>
    /// <exception cref="DllNotFoundException">The native library is missing or unusable.</exception>
    /// <exception cref="OnnxRuntimeException">The environment could not be created.</exception>
    public static void EnsureLoaded() => _ = Env;

    /// <summary>True for <c>libonnxruntime.so</c> and versioned names, not for the provider libraries.</summary>
    internal static bool IsRuntimeLibraryName(string fileName) =>
        fileName == "libonnxruntime.so" || fileName.StartsWith("libonnxruntime.so.", StringComparison.Ordinal);

    /// <summary>The one process-wide environment (ORT's singleton), created with error-level logging.</summary>
    internal static Ort.OrtEnv Env
    {
        get
        {
            var env = _env;
            if (env != null) return env;
            lock (Gate)
            {
                return _env ??= CreateEnv();
            }
        }
    }

    private static Ort.OrtEnv CreateEnv()
    {
        try
        {
            if (Ort.OrtEnv.IsCreated) return Ort.OrtEnv.Instance(); // another component got there first
            // Warnings and below go nowhere: ORT would print them to stderr of the host process.
            var options = new Ort.EnvironmentCreationOptions
            {
                logId = "MlNetStem",
                logLevel = Ort.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            };
            try
            {
                return Ort.OrtEnv.CreateInstanceWithOptions(ref options);
            }
            catch (Ort.OnnxRuntimeException) when (Ort.OrtEnv.IsCreated)
            {
                return Ort.OrtEnv.Instance(); // lost a race with code outside this assembly
            }
        }
        catch (Ort.OnnxRuntimeException e)
        {
            throw Wrap("CreateEnv", e);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException
                                      or EntryPointNotFoundException or BadImageFormatException)
        {
            // ORT's managed layer caches this failure for the life of the process.
            Exception root = e;
            while (root is TypeInitializationException { InnerException: { } inner }) root = inner;
            throw new DllNotFoundException(
                "The ONNX Runtime native library (libonnxruntime.so, from the Microsoft.ML.OnnxRuntime NuGet " +
                "package) could not be loaded: " + root.Message + " It is copied into the application's output " +
                "under runtimes/<rid>/native by the build; rebuild the application (dotnet build) to restore it.", e);
        }
    }

    /// <summary>Runs one ORT call; its <see cref="Ort.OnnxRuntimeException"/> becomes ours (see <see cref="Wrap"/>).</summary>
    internal static T Call<T>(string operation, Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Ort.OnnxRuntimeException e)
        {
            throw Wrap(operation, e);
        }
    }

    /// <inheritdoc cref="Call{T}"/>
    internal static void Call(string operation, Action call)
    {
        try
        {
            call();
        }
        catch (Ort.OnnxRuntimeException e)
        {
            throw Wrap(operation, e);
        }
    }

    /// <summary>
    /// The single translation of ORT's managed exception into ours. ORT's exception carries the
    /// native code only inside its message (<c>"[ErrorCode:InvalidProtobuf] text"</c>), so the
    /// code is parsed back out of it.
    /// </summary>
    internal static OnnxRuntimeException Wrap(string operation, Ort.OnnxRuntimeException e)
    {
        var match = ErrorPrefix().Match(e.Message);
        if (!match.Success) return new OnnxRuntimeException(operation, OnnxErrorCode.Fail, e.Message, e);
        string name = match.Groups[1].Value;
        var code = name switch
        {
            // ORT's managed enum names these two codes after long-gone errors.
            "ShapeInferenceNotRegistered" => OnnxErrorCode.ExecutionProviderFail,
            "RequirementNotRegistered" => OnnxErrorCode.ModelLoadCanceled,
            _ => Enum.TryParse<OnnxErrorCode>(name, out var parsed) ? parsed : OnnxErrorCode.Fail,
        };
        return new OnnxRuntimeException(operation, code, match.Groups[2].Value, e);
    }

    [GeneratedRegex(@"^\[ErrorCode:(\w+)\]\s*(.*)$", RegexOptions.Singleline)]
    private static partial Regex ErrorPrefix();
}
