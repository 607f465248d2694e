using System.Runtime.InteropServices;

namespace MlNetStem.Hdf5.Interop;

/// <summary>
/// Raw HDF5 1.10 C signatures. hid_t is 64-bit (long), herr_t/htri_t are int, hsize_t is ulong.
/// Every call must be made while holding <see cref="Hdf5Library.Sync"/>: the Debian build
/// is not thread-safe.
/// </summary>
internal static unsafe class H5Native
{
    /// <summary>Logical name resolved by <see cref="Hdf5Library"/>'s DllImport resolver.</summary>
    public const string Lib = "mlnetstem-hdf5";

    public const long H5P_DEFAULT = 0;
    public const long H5S_ALL = 0;
    public const long H5E_DEFAULT = 0;
    public const uint H5F_ACC_RDONLY = 0;
    public const uint H5F_ACC_RDWR = 1;
    public const uint H5F_ACC_TRUNC = 2;
    public const int H5S_SCALAR = 0;
    public const int H5S_SIMPLE = 1;
    public const int H5S_NULL = 2;
    public const int H5S_SELECT_SET = 0;
    public const int H5T_INTEGER = 0;
    public const int H5T_FLOAT = 1;
    public const int H5T_STRING = 3;
    public const int H5T_ENUM = 8;
    public const int H5T_SGN_NONE = 0;
    public const int H5T_CSET_UTF8 = 1;
    public const int H5T_STR_SPACEPAD = 2;
    public const int H5I_GROUP = 2;
    public const int H5I_DATASET = 5;
    public const int H5_INDEX_NAME = 0;
    public const int H5_ITER_INC = 0;
    public const int H5E_WALK_DOWNWARD = 1;
    public static readonly nuint H5T_VARIABLE = nuint.MaxValue;

    [DllImport(Lib)] public static extern int H5open();
    [DllImport(Lib)] public static extern int H5get_libversion(out uint major, out uint minor, out uint release);
    [DllImport(Lib)] public static extern int H5free_memory(void* buf);

    [DllImport(Lib)] public static extern int H5Eset_auto2(long estack, IntPtr func, IntPtr clientData);
    [DllImport(Lib)] public static extern int H5Ewalk2(long estack, int direction, delegate* unmanaged<uint, ErrorRecord*, IntPtr, int> func, IntPtr clientData);
    [DllImport(Lib)] public static extern int H5Eclear2(long estack);

    [DllImport(Lib)] public static extern int H5Fis_hdf5([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
    [DllImport(Lib)] public static extern long H5Fopen([MarshalAs(UnmanagedType.LPUTF8Str)] string name, uint flags, long fapl);
    [DllImport(Lib)] public static extern long H5Fcreate([MarshalAs(UnmanagedType.LPUTF8Str)] string name, uint flags, long fcpl, long fapl);
    [DllImport(Lib)] public static extern int H5Fflush(long obj, int scope);
    [DllImport(Lib)] public static extern int H5Fclose(long file);
    [DllImport(Lib)] public static extern nint H5Fget_file_image(long file, void* buf, nuint length);

    [DllImport(Lib)] public static extern long H5Gcreate2(long loc, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, long lcpl, long gcpl, long gapl);
    [DllImport(Lib)] public static extern long H5Gopen2(long loc, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, long gapl);
    [DllImport(Lib)] public static extern int H5Gclose(long group);

    [DllImport(Lib)] public static extern int H5Lexists(long loc, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, long lapl);
    /// <summary>
    /// H5Literate (1.10) or H5Literate2 (1.12+, where H5Literate is only a macro), resolved at load time.
    /// The callback's info argument is never read, so the two info layouts do not matter.
    /// </summary>
    public static delegate* unmanaged<long, int, int, ulong*, delegate* unmanaged<long, byte*, void*, IntPtr, int>, IntPtr, int> H5Literate;

    [DllImport(Lib)] public static extern long H5Oopen(long loc, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, long lapl);
    [DllImport(Lib)] public static extern int H5Oclose(long obj);
    [DllImport(Lib)] public static extern int H5Iget_type(long id);

    [DllImport(Lib)] public static extern long H5Dcreate2(long loc, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, long type, long space, long lcpl, long dcpl, long dapl);
    [DllImport(Lib)] public static extern long H5Dopen2(long loc, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, long dapl);
    [DllImport(Lib)] public static extern long H5Dget_space(long dataset);
    [DllImport(Lib)] public static extern long H5Dget_type(long dataset);
    [DllImport(Lib)] public static extern int H5Dread(long dataset, long memType, long memSpace, long fileSpace, long xfer, void* buf);
    [DllImport(Lib)] public static extern int H5Dwrite(long dataset, long memType, long memSpace, long fileSpace, long xfer, void* buf);
    [DllImport(Lib)] public static extern int H5Dvlen_reclaim(long type, long space, long plist, void* buf);
    [DllImport(Lib)] public static extern int H5Dclose(long dataset);

    [DllImport(Lib)] public static extern long H5Screate(int type);
    [DllImport(Lib)] public static extern long H5Screate_simple(int rank, ulong* dims, ulong* maxDims);
    [DllImport(Lib)] public static extern int H5Sget_simple_extent_type(long space);
    [DllImport(Lib)] public static extern int H5Sget_simple_extent_ndims(long space);
    [DllImport(Lib)] public static extern int H5Sget_simple_extent_dims(long space, ulong* dims, ulong* maxDims);
    [DllImport(Lib)] public static extern int H5Sselect_hyperslab(long space, int op, ulong* start, ulong* stride, ulong* count, ulong* block);
    [DllImport(Lib)] public static extern int H5Sclose(long space);

    [DllImport(Lib)] public static extern long H5Tcopy(long type);
    [DllImport(Lib)] public static extern int H5Tset_size(long type, nuint size);
    [DllImport(Lib)] public static extern nuint H5Tget_size(long type);
    [DllImport(Lib)] public static extern int H5Tset_cset(long type, int cset);
    [DllImport(Lib)] public static extern int H5Tget_class(long type);
    [DllImport(Lib)] public static extern int H5Tis_variable_str(long type);
    [DllImport(Lib)] public static extern int H5Tget_sign(long type);
    [DllImport(Lib)] public static extern int H5Tget_strpad(long type);
    [DllImport(Lib)] public static extern long H5Tget_super(long type);
    [DllImport(Lib)] public static extern long H5Tenum_create(long baseType);
    [DllImport(Lib)] public static extern int H5Tenum_insert(long type, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, void* value);
    [DllImport(Lib)] public static extern int H5Tclose(long type);

    [DllImport(Lib)] public static extern long H5Acreate2(long loc, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, long type, long space, long acpl, long aapl);
    [DllImport(Lib)] public static extern long H5Aopen(long obj, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, long aapl);
    [DllImport(Lib)] public static extern int H5Aexists(long obj, [MarshalAs(UnmanagedType.LPUTF8Str)] string name);
    [DllImport(Lib)] public static extern int H5Adelete(long obj, [MarshalAs(UnmanagedType.LPUTF8Str)] string name);
    [DllImport(Lib)] public static extern int H5Aread(long attr, long memType, void* buf);
    [DllImport(Lib)] public static extern int H5Awrite(long attr, long memType, void* buf);
    [DllImport(Lib)] public static extern long H5Aget_space(long attr);
    [DllImport(Lib)] public static extern long H5Aget_type(long attr);
    [DllImport(Lib)] public static extern int H5Aiterate2(long loc, int indexType, int order, ulong* idx, delegate* unmanaged<long, byte*, void*, IntPtr, int> op, IntPtr opData);
    [DllImport(Lib)] public static extern int H5Aclose(long attr);

    [DllImport(Lib)] public static extern long H5Pcreate(long cls);
    [DllImport(Lib)] public static extern int H5Pset_chunk(long plist, int rank, ulong* dims);
    [DllImport(Lib)] public static extern int H5Pset_deflate(long plist, uint level);
    [DllImport(Lib)] public static extern int H5Pclose(long plist);
    [DllImport(Lib)] public static extern int H5Pset_fclose_degree(long fapl, int degree);
    /// <summary>In-memory file driver; backing_store is hbool_t (one byte in 1.10+): 0 = never touch the disk.</summary>
    [DllImport(Lib)] public static extern int H5Pset_fapl_core(long fapl, nuint increment, byte backingStore);

    /// <summary>H5F_CLOSE_STRONG: closing a file closes every object still open in it, and the file itself at once.</summary>
    public const int H5F_CLOSE_STRONG = 3;

    /// <summary>Layout of H5E_error2_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ErrorRecord
    {
        public long ClassId;
        public long MajorId;
        public long MinorId;
        public uint Line;
        public byte* FunctionName;
        public byte* FileName;
        public byte* Description;
    }
}
