using System.Reflection;
using System.Runtime.InteropServices;

namespace MlNetStem.Torch.Interop;

/// <summary>
/// Finds libmlnetstem_torch.so: <c>MLNETSTEM_TORCH_SHIM</c> (full path) first, so a shim built
/// against a CUDA libtorch can be dropped in; else the repository's <c>.native/lib</c>, found by
/// walking up from the application's base directory.
/// </summary>
internal static class ShimLocator
{
    internal const string EnvironmentVariable = "MLNETSTEM_TORCH_SHIM";
    internal const string FileName = "libmlnetstem_torch.so";
    private static readonly string RelativePath = Path.Combine(".native", "lib", FileName);

    private static readonly Lock LoadLock = new();
    private static IntPtr s_loaded;

    internal static void Install(Assembly assembly) =>
        NativeLibrary.SetDllImportResolver(assembly, (name, _, _) =>
            name == NativeMethods.Library ? Load() : IntPtr.Zero);

    // The resolver can run once per P/Invoke stub; caching makes every stub bind to the
    // library loaded first, even if the environment changes afterwards.
    private static IntPtr Load()
    {
        lock (LoadLock)
        {
            if (s_loaded == IntPtr.Zero) s_loaded = NativeLibrary.Load(Locate());
            return s_loaded;
        }
    }

    /// <summary>Path of the shim library.</summary>
    /// <exception cref="DllNotFoundException">Neither the variable nor the walk found the library.</exception>
    internal static string Locate() => Locate(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>Path of the shim library given the value of <see cref="EnvironmentVariable"/> (null when unset).</summary>
    /// <exception cref="DllNotFoundException">Neither the value nor the walk found the library.</exception>
    internal static string Locate(string? fromEnv)
    {
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            if (File.Exists(fromEnv)) return fromEnv;
            throw new DllNotFoundException(
                $"{EnvironmentVariable} is set to '{fromEnv}', but no file exists there. " +
                "Point it at a built libmlnetstem_torch.so or unset it and run scripts/setup.sh.");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativePath);
            if (File.Exists(candidate)) return candidate;
        }

        throw new DllNotFoundException(
            $"The libtorch shim ({FileName}) was not found: no {RelativePath} above " +
            $"'{AppContext.BaseDirectory}' and {EnvironmentVariable} is not set. " +
            "Run scripts/setup.sh from the repository root to build it, or set " +
            $"{EnvironmentVariable} to its full path.");
    }
}
