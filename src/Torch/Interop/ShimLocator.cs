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

    internal static void Install(Assembly assembly) =>
        NativeLibrary.SetDllImportResolver(assembly, (name, _, _) =>
            name == NativeMethods.Library ? NativeLibrary.Load(Locate()) : IntPtr.Zero);

    /// <summary>Path of the shim library.</summary>
    /// <exception cref="DllNotFoundException">Neither the variable nor the walk found the library.</exception>
    internal static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
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
