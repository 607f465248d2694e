using System.Reflection;
using System.Runtime.InteropServices;
using MlNetStem.Imaging.Interop;

namespace MlNetStem.Imaging;

/// <summary>
/// Locates libopenslide: the path or name in MLNETSTEM_OPENSLIDE_LIB, else libopenslide.so.0
/// (Debian libopenslide0, installed by scripts/setup.sh).
/// </summary>
public static class OpenSlideLibrary
{
    /// <summary>Environment variable that overrides the library's path or name.</summary>
    public const string EnvironmentVariable = "MLNETSTEM_OPENSLIDE_LIB";

    /// <summary>Library loaded when the environment variable is not set.</summary>
    public const string DefaultName = "libopenslide.so.0";

    private static readonly Lazy<IntPtr> Handle = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int _resolverInstalled;

    /// <summary>Whether the library can be loaded (no exception).</summary>
    public static bool IsAvailable
    {
        get
        {
            try { EnsureLoaded(); return true; }
            catch (DllNotFoundException) { return false; }
        }
    }

    /// <summary>Loads the library once (thread-safe).</summary>
    /// <exception cref="DllNotFoundException">The library cannot be loaded; the message says how to install it.</exception>
    public static void EnsureLoaded()
    {
        if (Interlocked.Exchange(ref _resolverInstalled, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(OpenSlideLibrary).Assembly, Resolve);
        _ = Handle.Value;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == OpenSlideNative.Library ? Handle.Value : IntPtr.Zero;

    private static IntPtr Load()
    {
        string? configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        string name = string.IsNullOrWhiteSpace(configured) ? DefaultName : configured;
        if (NativeLibrary.TryLoad(name, out IntPtr handle)) return handle;
        throw new DllNotFoundException(string.IsNullOrWhiteSpace(configured)
            ? $"OpenSlide ({DefaultName}) is not installed. Run scripts/setup.sh (Debian package libopenslide0), or set {EnvironmentVariable} to the library's path."
            : $"OpenSlide could not be loaded from '{configured}' ({EnvironmentVariable}).");
    }
}
