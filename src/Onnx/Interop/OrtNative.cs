using System.Runtime.InteropServices;
using System.Text;

namespace MlNetStem.Onnx.Interop;

/// <summary>
/// The loaded library: its function table, the one process-wide environment, a CPU memory
/// info and the default allocator. Initialized once, on first use, under a lock; a failed
/// load is not cached so that fixing the installation and retrying works.
/// </summary>
internal static unsafe class OrtNative
{
    private static readonly object Gate = new();
    private static volatile State? _state;

    private sealed class State(OrtApi api, string path, string version, OrtEnvHandle env,
        OrtMemoryInfoHandle cpuMemory, nint allocator)
    {
        public readonly OrtApi Api = api;
        public readonly string Path = path;
        public readonly string Version = version;
        // Rooted for the process lifetime: sessions must never outlive their environment,
        // and .NET does not run finalizers at exit, so the env is simply never released.
        public readonly OrtEnvHandle Env = env;
        public readonly OrtMemoryInfoHandle CpuMemory = cpuMemory;
        public readonly nint DefaultAllocator = allocator; // owned by ORT, never released
    }

    public static OrtApi Api => Loaded.Api;
    public static string LibraryPath => Loaded.Path;
    public static string Version => Loaded.Version;
    public static OrtEnvHandle Env => Loaded.Env;
    public static OrtMemoryInfoHandle CpuMemory => Loaded.CpuMemory;
    public static nint DefaultAllocator => Loaded.DefaultAllocator;

    private static State Loaded
    {
        get
        {
            var s = _state;
            if (s != null) return s;
            lock (Gate)
            {
                return _state ??= Load();
            }
        }
    }

    private static State Load()
    {
        string path = ResolveLibraryPath();
        nint lib;
        try
        {
            lib = NativeLibrary.Load(path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            throw new DllNotFoundException(
                $"ONNX Runtime library at '{path}' could not be loaded: {e.Message}", e);
        }
        if (!NativeLibrary.TryGetExport(lib, "OrtGetApiBase", out nint getApiBase))
            throw new DllNotFoundException($"'{path}' does not export OrtGetApiBase: it is not an ONNX Runtime library.");

        var apiBase = ((delegate* unmanaged<OrtApiBase*>)getApiBase)();
        string version = Marshal.PtrToStringUTF8((nint)apiBase->GetVersionString()) ?? "unknown";
        void** table = apiBase->GetApi(OrtApi.RequiredApiVersion);
        if (table == null)
            throw new DllNotFoundException(
                $"ONNX Runtime {version} at '{path}' does not provide C API version {OrtApi.RequiredApiVersion}; 1.16 or newer is needed.");
        var api = new OrtApi(table);

        nint env;
        // Warnings and below go nowhere: ORT would print them to stderr of the host process.
        const int LoggingLevelError = 3;
        fixed (byte* logId = "MlNetStem\0"u8)
            Check(api, api.CreateEnv(LoggingLevelError, logId, &env), "CreateEnv");
        var envHandle = new OrtEnvHandle(env);

        nint memInfo;
        const int ArenaAllocator = 1, MemTypeDefault = 0;
        Check(api, api.CreateCpuMemoryInfo(ArenaAllocator, MemTypeDefault, &memInfo), "CreateCpuMemoryInfo");
        var memHandle = new OrtMemoryInfoHandle(memInfo);

        nint allocator;
        Check(api, api.GetAllocatorWithDefaultOptions(&allocator), "GetAllocatorWithDefaultOptions");
        return new State(api, path, version, envHandle, memHandle, allocator);
    }

    /// <summary>MLNETSTEM_ORT_LIB, else the nearest <c>.native/lib/libonnxruntime.so.1</c> above the app.</summary>
    public static string ResolveLibraryPath() =>
        ResolveLibraryPath(Environment.GetEnvironmentVariable(OnnxRuntime.LibraryPathVariable), AppContext.BaseDirectory);

    /// <summary>The resolution rule, with its inputs explicit so tests need not touch the process.</summary>
    public static string ResolveLibraryPath(string? fromEnv, string baseDirectory)
    {
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            if (!File.Exists(fromEnv))
                throw new DllNotFoundException(
                    $"{OnnxRuntime.LibraryPathVariable} points to '{fromEnv}', which does not exist.");
            return fromEnv;
        }
        for (var dir = new DirectoryInfo(baseDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, ".native", "lib", "libonnxruntime.so.1");
            if (File.Exists(candidate)) return candidate;
        }
        throw new DllNotFoundException(
            "ONNX Runtime (libonnxruntime.so.1) was not found in any .native/lib folder above " +
            $"'{baseDirectory}'. Run scripts/setup.sh from the repository root to fetch it, " +
            $"or set {OnnxRuntime.LibraryPathVariable} to the full path of an ONNX Runtime library.");
    }

    /// <summary>Throws for a non-NULL status, after releasing it.</summary>
    public static void Check(nint status, string operation) => Check(Api, status, operation);

    private static void Check(OrtApi api, nint status, string operation)
    {
        if (status == 0) return;
        OnnxErrorCode code;
        string message;
        try
        {
            code = (OnnxErrorCode)api.GetErrorCode(status);
            message = Marshal.PtrToStringUTF8((nint)api.GetErrorMessage(status)) ?? "";
        }
        finally
        {
            api.ReleaseStatus(status);
        }
        throw new OnnxRuntimeException(operation, code, message);
    }

    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="s"/> for passing as <c>const char*</c>.</summary>
    public static byte[] Utf8(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    /// <summary>Reads a string ORT allocated with the default allocator, then frees it.</summary>
    public static string TakeAllocatedString(byte* ptr)
    {
        try
        {
            return Marshal.PtrToStringUTF8((nint)ptr) ?? "";
        }
        finally
        {
            if (ptr != null) Check(Api.AllocatorFree(DefaultAllocator, ptr), "AllocatorFree");
        }
    }
}
