using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using MlNetStem.Hdf5.Interop;

namespace MlNetStem.Hdf5;

/// <summary>
/// Process-wide state of the native HDF5 library: where it was loaded from, its version,
/// the native type ids, and the single lock that serializes every HDF5 call.
/// </summary>
/// <remarks>
/// The library is taken from the path in the <c>MLNETSTEM_HDF5_LIB</c> environment variable
/// when set, otherwise from the Debian soname <c>libhdf5_serial.so.103</c>.
/// </remarks>
public static unsafe class Hdf5Library
{
    /// <summary>Environment variable that overrides the native library's location.</summary>
    public const string LibraryEnvironmentVariable = "MLNETSTEM_HDF5_LIB";

    /// <summary>Library loaded when the environment variable is not set.</summary>
    public const string DefaultLibraryName = "libhdf5_serial.so.103";

    // The serial HDF5 build keeps global state without locking: every native call goes through this.
    internal static readonly Lock Sync = new();

    private static readonly object InitGate = new();
    private static IntPtr _libraryHandle;
    private static string? _loadedFrom;
    private static Version? _version;
    private static Exception? _initFailure;
    private static readonly StringBuilder ErrorText = new();

    internal static long NativeInt8, NativeUInt8, NativeInt16, NativeUInt16, NativeInt32, NativeUInt32,
        NativeInt64, NativeUInt64, NativeFloat, NativeDouble, StringC, DatasetCreateClass, FileAccessClass;

    /// <summary>Version of the loaded native library (loads it if needed).</summary>
    /// <exception cref="Hdf5Exception">The library cannot be loaded.</exception>
    public static Version Version
    {
        get { EnsureInitialized(); return _version!; }
    }

    /// <summary>The path or soname the native library was loaded from (loads it if needed).</summary>
    /// <exception cref="Hdf5Exception">The library cannot be loaded.</exception>
    public static string LoadedFrom
    {
        get { EnsureInitialized(); return _loadedFrom!; }
    }

    /// <summary>Loads the native library, silences its error printing and reads the native type ids.</summary>
    /// <exception cref="Hdf5Exception">The library cannot be loaded or initialized.</exception>
    public static void EnsureInitialized()
    {
        if (_version is not null) return;
        lock (InitGate)
        {
            if (_version is not null) return;
            if (_initFailure is not null) throw new Hdf5Exception(_initFailure.Message, "load library", null, _initFailure);
            try
            {
                Initialize();
            }
            catch (Exception ex)
            {
                _initFailure = ex;
                throw ex as Hdf5Exception ?? new Hdf5Exception(ex.Message, "load library", null, ex);
            }
        }
    }

    private static void Initialize()
    {
        string? overridePath = Environment.GetEnvironmentVariable(LibraryEnvironmentVariable);
        string name = string.IsNullOrWhiteSpace(overridePath) ? DefaultLibraryName : overridePath;
        if (!NativeLibrary.TryLoad(name, out _libraryHandle))
        {
            throw new Hdf5Exception(
                $"Cannot load the HDF5 library '{name}'. Install libhdf5-103-1 (scripts/setup.sh) or set {LibraryEnvironmentVariable} to the library's path.",
                "load library", null);
        }
        _loadedFrom = name;
        NativeLibrary.SetDllImportResolver(typeof(Hdf5Library).Assembly, Resolve);
        lock (Sync)
        {
            DisableFileLocking();
            if (H5Native.H5open() < 0) throw new Hdf5Exception("H5open failed.", "H5open", null);
            // Failures are reported through exceptions built from the error stack, never printed.
            H5Native.H5Eset_auto2(H5Native.H5E_DEFAULT, IntPtr.Zero, IntPtr.Zero);
            H5Native.H5get_libversion(out uint major, out uint minor, out uint release);
            NativeInt8 = Global("H5T_NATIVE_INT8_g");
            NativeUInt8 = Global("H5T_NATIVE_UINT8_g");
            NativeInt16 = Global("H5T_NATIVE_INT16_g");
            NativeUInt16 = Global("H5T_NATIVE_UINT16_g");
            NativeInt32 = Global("H5T_NATIVE_INT32_g");
            NativeUInt32 = Global("H5T_NATIVE_UINT32_g");
            NativeInt64 = Global("H5T_NATIVE_INT64_g");
            NativeUInt64 = Global("H5T_NATIVE_UINT64_g");
            NativeFloat = Global("H5T_NATIVE_FLOAT_g");
            NativeDouble = Global("H5T_NATIVE_DOUBLE_g");
            StringC = Global("H5T_C_S1_g");
            DatasetCreateClass = Global("H5P_CLS_DATASET_CREATE_ID_g");
            FileAccessClass = Global("H5P_CLS_FILE_ACCESS_ID_g");
            H5Native.H5Literate = (delegate* unmanaged<long, int, int, ulong*, delegate* unmanaged<long, byte*, void*, IntPtr, int>, IntPtr, int>)
                (NativeLibrary.TryGetExport(_libraryHandle, "H5Literate2", out IntPtr iterate2) ? iterate2 : Export("H5Literate"));
            _version = new Version((int)major, (int)minor, (int)release);
        }
    }

    /// <summary>
    /// Turns HDF5's file locks off for this process (unless the user set HDF5_USE_FILE_LOCKING). HDF5 opens files without
    /// close-on-exec, so every child process started while a file is open (python/anndata interop, the CLI under test,
    /// user pipelines) inherits the descriptor and with it the flock lock, keeping it after we close the file: the next
    /// open of that path then failed at random ("unable to lock the file, errno = 11"). Our writers never share a file
    /// with a reader (they write a temporary file and rename it), which is what the locks would protect.
    /// HDF5 reads the variable from the C environment at every file open, so it is set there, not only in .NET's copy.
    /// </summary>
    private static void DisableFileLocking()
    {
        const string name = "HDF5_USE_FILE_LOCKING";
        if (Environment.GetEnvironmentVariable(name) is not null) return;
        Environment.SetEnvironmentVariable(name, "FALSE");
        _ = LibC.setenv(name, "FALSE", 0);
    }

    private static class LibC
    {
        [DllImport("libc", CharSet = CharSet.Ansi)]
        public static extern int setenv(string name, string value, int overwrite);
    }

    private static long Global(string symbol) => *(long*)Export(symbol);

    private static IntPtr Export(string symbol) =>
        NativeLibrary.TryGetExport(_libraryHandle, symbol, out IntPtr address)
            ? address
            : throw new Hdf5Exception($"The HDF5 library '{_loadedFrom}' does not export {symbol}.", "load library", null);

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == H5Native.Lib ? _libraryHandle : IntPtr.Zero;

    /// <summary>
    /// Builds an exception from the library's error stack and clears the stack.
    /// Call right after a failed native call, still holding <see cref="Sync"/>.
    /// </summary>
    internal static Hdf5Exception Failure(string operation, string? path, string? detail = null)
    {
        ErrorText.Clear();
        H5Native.H5Ewalk2(H5Native.H5E_DEFAULT, H5Native.H5E_WALK_DOWNWARD, &CollectError, IntPtr.Zero);
        H5Native.H5Eclear2(H5Native.H5E_DEFAULT);
        string native = ErrorText.Length > 0 ? ErrorText.ToString() : "no message on the HDF5 error stack";
        string where = path is null ? "" : $" on '{path}'";
        string message = detail is null
            ? $"HDF5 {operation} failed{where}: {native}"
            : $"HDF5 {operation} failed{where}: {detail} ({native})";
        return new Hdf5Exception(message, operation, path) { NativeMessage = native };
    }

    [UnmanagedCallersOnly]
    private static int CollectError(uint n, H5Native.ErrorRecord* record, IntPtr clientData)
    {
        string? desc = Marshal.PtrToStringUTF8((IntPtr)record->Description);
        string? func = Marshal.PtrToStringUTF8((IntPtr)record->FunctionName);
        if (ErrorText.Length > 0) ErrorText.Append(" <- ");
        ErrorText.Append(func).Append(": ").Append(desc);
        return 0;
    }

    /// <summary>Throws the captured native error when <paramref name="status"/> is negative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(int status, string operation, string? path)
    {
        if (status < 0) throw Failure(operation, path);
    }
}
