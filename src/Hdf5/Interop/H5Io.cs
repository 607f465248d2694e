using System.Runtime.InteropServices;
using System.Text;

namespace MlNetStem.Hdf5.Interop;

/// <summary>
/// Data transfer shared by datasets and attributes. Call with <see cref="Hdf5Library.Sync"/> held.
/// </summary>
internal static unsafe class H5Io
{
    /// <summary>Reads or writes through H5Dread/H5Awrite depending on whether the object is an attribute.</summary>
    private static int Transfer(long obj, bool attribute, bool write, long memType, long memSpace, long fileSpace, void* buf)
    {
        if (attribute)
            return write ? H5Native.H5Awrite(obj, memType, buf) : H5Native.H5Aread(obj, memType, buf);
        return write
            ? H5Native.H5Dwrite(obj, memType, memSpace, fileSpace, H5Native.H5P_DEFAULT, buf)
            : H5Native.H5Dread(obj, memType, memSpace, fileSpace, H5Native.H5P_DEFAULT, buf);
    }

    public static H5Handle SimpleSpace(ReadOnlySpan<long> dims, string path)
    {
        if (dims.Length == 0) return H5Handle.Wrap(H5Native.H5Screate(H5Native.H5S_SCALAR), H5HandleKind.Dataspace, "H5Screate", path);
        ulong* d = stackalloc ulong[dims.Length];
        for (int i = 0; i < dims.Length; i++) d[i] = (ulong)dims[i];
        return H5Handle.Wrap(H5Native.H5Screate_simple(dims.Length, d, null), H5HandleKind.Dataspace, "H5Screate_simple", path);
    }

    /// <summary>Dimensions of a dataspace; empty for scalar, null for H5S_NULL.</summary>
    public static long[]? Dims(long space, string path)
    {
        int kind = H5Native.H5Sget_simple_extent_type(space);
        if (kind < 0) throw Hdf5Library.Failure("H5Sget_simple_extent_type", path);
        if (kind == H5Native.H5S_NULL) return null;
        int rank = H5Native.H5Sget_simple_extent_ndims(space);
        if (rank < 0) throw Hdf5Library.Failure("H5Sget_simple_extent_ndims", path);
        ulong* d = stackalloc ulong[Math.Max(rank, 1)];
        if (rank > 0) Hdf5Library.Check(H5Native.H5Sget_simple_extent_dims(space, d, null), "H5Sget_simple_extent_dims", path);
        var dims = new long[rank];
        for (int i = 0; i < rank; i++) dims[i] = (long)d[i];
        return dims;
    }

    public static void SelectHyperslab(long space, ReadOnlySpan<long> start, ReadOnlySpan<long> count, string path)
    {
        ulong* s = stackalloc ulong[start.Length];
        ulong* c = stackalloc ulong[start.Length];
        for (int i = 0; i < start.Length; i++) { s[i] = (ulong)start[i]; c[i] = (ulong)count[i]; }
        Hdf5Library.Check(H5Native.H5Sselect_hyperslab(space, H5Native.H5S_SELECT_SET, s, null, c, null), "H5Sselect_hyperslab", path);
    }

    /// <summary>Reads <paramref name="n"/> numeric elements, converting natively to T.</summary>
    /// <summary>Refuses, before any allocation, a read of more elements than one .NET array holds (a damaged or hostile shape).</summary>
    public static void RequireArraySize(long n, string path)
    {
        if (n < 0 || n > Array.MaxLength)
            throw new Hdf5Exception(
                $"'{path}' claims {n} elements, more than one array can hold ({Array.MaxLength}); the file is damaged or not meant to be read whole.",
                "read", path);
    }

    public static T[] ReadNumeric<T>(long obj, bool attribute, Hdf5ElementType fileType, long memSpace, long fileSpace, long n, string path)
        where T : unmanaged
    {
        RequireArraySize(n, path);
        var result = new T[n];
        // Booleans stored as plain integers (not h5py's enum) cannot convert to the enum: read bytes instead.
        bool boolFromInts = typeof(T) == typeof(bool) && fileType != Hdf5ElementType.Boolean;
        long memType = boolFromInts ? Hdf5Library.NativeUInt8 : H5Types.MemoryType<T>();
        if (n == 0) return result;
        fixed (T* p = result)
        {
            int status = Transfer(obj, attribute, write: false, memType, memSpace, fileSpace, p);
            if (status < 0) throw Hdf5Library.Failure(attribute ? "H5Aread" : "H5Dread", path);
            if (boolFromInts)
            {
                byte* b = (byte*)p;
                for (long i = 0; i < n; i++) b[i] = b[i] != 0 ? (byte)1 : (byte)0;
            }
        }
        return result;
    }

    public static void WriteNumeric<T>(long obj, bool attribute, long memSpace, long fileSpace, ReadOnlySpan<T> data, string path)
        where T : unmanaged
    {
        if (data.IsEmpty) return;
        long memType = H5Types.MemoryType<T>();
        fixed (T* p = data)
        {
            if (typeof(T) == typeof(bool))
            {
                // A .NET bool may hold any non-zero byte; the enum only knows 0 and 1.
                byte[] normalized = new byte[data.Length];
                for (int i = 0; i < normalized.Length; i++) normalized[i] = ((byte*)p)[i] != 0 ? (byte)1 : (byte)0;
                fixed (byte* q = normalized)
                    Hdf5Library.Check(Transfer(obj, attribute, true, memType, memSpace, fileSpace, q), attribute ? "H5Awrite" : "H5Dwrite", path);
                return;
            }
            Hdf5Library.Check(Transfer(obj, attribute, true, memType, memSpace, fileSpace, p), attribute ? "H5Awrite" : "H5Dwrite", path);
        }
    }

    /// <summary>Reads n strings of either kind (fixed or variable length).</summary>
    public static string[] ReadStrings(long obj, bool attribute, long fileTypeId, long fileSpace, long n, string path)
    {
        RequireArraySize(n, path);
        var result = new string[n];
        if (n == 0) return result;
        using H5Handle memType = H5Handle.Wrap(H5Native.H5Tcopy(fileTypeId), H5HandleKind.Datatype, "H5Tcopy", path);
        using H5Handle memSpace = SimpleSpace([n], path);
        string op = attribute ? "H5Aread" : "H5Dread";
        if (H5Native.H5Tis_variable_str(fileTypeId) > 0)
        {
            var pointers = new IntPtr[n];
            fixed (IntPtr* p = pointers)
            {
                if (Transfer(obj, attribute, false, memType.Id, memSpace.Id, fileSpace, p) < 0) throw Hdf5Library.Failure(op, path);
                for (long i = 0; i < n; i++) result[i] = Marshal.PtrToStringUTF8(pointers[i]) ?? "";
                H5Native.H5Dvlen_reclaim(memType.Id, memSpace.Id, H5Native.H5P_DEFAULT, p);
            }
            return result;
        }
        int size = (int)H5Native.H5Tget_size(fileTypeId);
        bool spacePadded = H5Native.H5Tget_strpad(fileTypeId) == H5Native.H5T_STR_SPACEPAD;
        var buffer = new byte[checked(n * size)];
        fixed (byte* p = buffer)
        {
            if (Transfer(obj, attribute, false, memType.Id, memSpace.Id, fileSpace, p) < 0) throw Hdf5Library.Failure(op, path);
        }
        for (long i = 0; i < n; i++)
        {
            var item = new ReadOnlySpan<byte>(buffer, (int)(i * size), size);
            int end = item.IndexOf((byte)0);
            if (end >= 0) item = item[..end];
            string s = Encoding.UTF8.GetString(item);
            result[i] = spacePadded ? s.TrimEnd(' ') : s;
        }
        return result;
    }

    /// <summary>Writes strings as variable-length UTF-8; null items are written as empty strings.</summary>
    public static void WriteStrings(long obj, bool attribute, long memSpace, IReadOnlyList<string?> values, string path)
    {
        if (values.Count == 0) return;
        var pointers = new IntPtr[values.Count];
        try
        {
            for (int i = 0; i < pointers.Length; i++) pointers[i] = Marshal.StringToCoTaskMemUTF8(values[i] ?? "");
            fixed (IntPtr* p = pointers)
            {
                Hdf5Library.Check(Transfer(obj, attribute, true, H5Types.VariableUtf8, memSpace, H5Native.H5S_ALL, p),
                    attribute ? "H5Awrite" : "H5Dwrite", path);
            }
        }
        finally
        {
            foreach (IntPtr ptr in pointers) if (ptr != IntPtr.Zero) Marshal.FreeCoTaskMem(ptr);
        }
    }
}
