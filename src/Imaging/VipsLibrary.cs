using System.Runtime.InteropServices;
using MlNetStem.Imaging.Interop;

namespace MlNetStem.Imaging;

/// <summary>Process-wide libvips start-up and error handling.</summary>
public static class VipsLibrary
{
    private static readonly Lazy<bool> Initialized = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly object ErrorGate = new();

    /// <summary>Serializes operation builds (see <see cref="VipsOperation.Build"/>).</summary>
    internal static readonly object BuildGate = new();

    /// <summary>Initialises libvips once (thread-safe).</summary>
    /// <exception cref="DllNotFoundException">libvips is not installed (run scripts/setup.sh).</exception>
    public static void EnsureInitialized() => _ = Initialized.Value;

    /// <summary>Reads and clears libvips' error buffer.</summary>
    internal static string TakeError()
    {
        lock (ErrorGate)
        {
            string message = Marshal.PtrToStringUTF8(VipsNative.vips_error_buffer()) ?? "";
            VipsNative.vips_error_clear();
            return message;
        }
    }

    private static bool Initialize()
    {
        try
        {
            if (VipsNative.vips_init("mlnetstem") != 0)
                throw new VipsException("vips_init", TakeError());
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException(
                "libvips (libvips.so.42) is not installed. Run scripts/setup.sh, which installs the Debian package libvips42.", e);
        }
        // Our own per-cursor image cache decides lifetimes; libvips' operation cache would
        // otherwise keep every decoded slide alive.
        VipsNative.vips_cache_set_max(0);
        // --threads: libvips' worker pool follows the process-wide cap.
        if (ComputeThreads.Limit is { } threads) VipsNative.vips_concurrency_set(threads);
        // libvips prints warnings ("error in tile 0 x 3704", "read gave 1 warnings") straight to stderr, around the
        // one-line error a failed read ends with; the reason they carry is in that error (libvips' error buffer).
        // MLNETSTEM_VIPS_WARNINGS=1 keeps them.
        if (Environment.GetEnvironmentVariable("MLNETSTEM_VIPS_WARNINGS") != "1")
            unsafe { VipsNative.g_log_set_handler("VIPS", VipsNative.GLogLevelWarning, &DropLogMessage, IntPtr.Zero); }
        return true;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static void DropLogMessage(IntPtr domain, int level, IntPtr message, IntPtr userData) { }
}
