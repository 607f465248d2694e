namespace MlNetStem.Hdf5.Interop;

/// <summary>Type-id helpers. Call with <see cref="Hdf5Library.Sync"/> held.</summary>
internal static class H5Types
{
    private static long _boolEnum = -1;
    private static long _vlenUtf8 = -1;

    /// <summary>h5py's boolean: an int8 enum {FALSE=0, TRUE=1}; created once, never closed.</summary>
    public static unsafe long BoolEnum
    {
        get
        {
            if (_boolEnum >= 0) return _boolEnum;
            long type = H5Native.H5Tenum_create(Hdf5Library.NativeInt8);
            if (type < 0) throw Hdf5Library.Failure("H5Tenum_create", null);
            sbyte no = 0, yes = 1;
            Hdf5Library.Check(H5Native.H5Tenum_insert(type, "FALSE", &no), "H5Tenum_insert", null);
            Hdf5Library.Check(H5Native.H5Tenum_insert(type, "TRUE", &yes), "H5Tenum_insert", null);
            return _boolEnum = type;
        }
    }

    /// <summary>Variable-length UTF-8 C string type; created once, never closed.</summary>
    public static long VariableUtf8
    {
        get
        {
            if (_vlenUtf8 >= 0) return _vlenUtf8;
            long type = H5Native.H5Tcopy(Hdf5Library.StringC);
            if (type < 0) throw Hdf5Library.Failure("H5Tcopy", null);
            Hdf5Library.Check(H5Native.H5Tset_size(type, H5Native.H5T_VARIABLE), "H5Tset_size", null);
            Hdf5Library.Check(H5Native.H5Tset_cset(type, H5Native.H5T_CSET_UTF8), "H5Tset_cset", null);
            return _vlenUtf8 = type;
        }
    }

    /// <summary>The in-memory HDF5 type matching the C# element type <typeparamref name="T"/>.</summary>
    public static long MemoryType<T>() where T : unmanaged
    {
        Type t = typeof(T);
        if (t == typeof(float)) return Hdf5Library.NativeFloat;
        if (t == typeof(double)) return Hdf5Library.NativeDouble;
        if (t == typeof(int)) return Hdf5Library.NativeInt32;
        if (t == typeof(long)) return Hdf5Library.NativeInt64;
        if (t == typeof(byte)) return Hdf5Library.NativeUInt8;
        if (t == typeof(sbyte)) return Hdf5Library.NativeInt8;
        if (t == typeof(short)) return Hdf5Library.NativeInt16;
        if (t == typeof(ushort)) return Hdf5Library.NativeUInt16;
        if (t == typeof(uint)) return Hdf5Library.NativeUInt32;
        if (t == typeof(ulong)) return Hdf5Library.NativeUInt64;
        if (t == typeof(bool)) return BoolEnum;
        throw new NotSupportedException(
            $"Element type {t.Name} is not supported; use float, double, sbyte, byte, short, ushort, int, uint, long, ulong or bool.");
    }

    /// <summary>Classifies a datatype id.</summary>
    public static Hdf5ElementType Classify(long type)
    {
        int cls = H5Native.H5Tget_class(type);
        int size = (int)H5Native.H5Tget_size(type);
        switch (cls)
        {
            case H5Native.H5T_INTEGER:
                bool unsigned = H5Native.H5Tget_sign(type) == H5Native.H5T_SGN_NONE;
                return size switch
                {
                    1 => unsigned ? Hdf5ElementType.UInt8 : Hdf5ElementType.Int8,
                    2 => unsigned ? Hdf5ElementType.UInt16 : Hdf5ElementType.Int16,
                    4 => unsigned ? Hdf5ElementType.UInt32 : Hdf5ElementType.Int32,
                    8 => unsigned ? Hdf5ElementType.UInt64 : Hdf5ElementType.Int64,
                    _ => Hdf5ElementType.Unsupported,
                };
            case H5Native.H5T_FLOAT:
                return size switch { 4 => Hdf5ElementType.Float32, 8 => Hdf5ElementType.Float64, _ => Hdf5ElementType.Unsupported };
            case H5Native.H5T_STRING:
                return H5Native.H5Tis_variable_str(type) > 0 ? Hdf5ElementType.VariableString : Hdf5ElementType.FixedString;
            case H5Native.H5T_ENUM:
                return size == 1 ? Hdf5ElementType.Boolean : Hdf5ElementType.Enum;
            default:
                return Hdf5ElementType.Unsupported;
        }
    }

    public static bool IsNumeric(Hdf5ElementType t) =>
        t is >= Hdf5ElementType.Int8 and <= Hdf5ElementType.Float64;

    public static bool IsString(Hdf5ElementType t) =>
        t is Hdf5ElementType.FixedString or Hdf5ElementType.VariableString;

    /// <summary>Throws a message with expected and actual types when a T read cannot be converted natively.</summary>
    public static void RequireReadable<T>(Hdf5ElementType actual, string path) where T : unmanaged
    {
        bool ok = typeof(T) == typeof(bool)
            ? actual == Hdf5ElementType.Boolean || IsNumeric(actual) && actual is not (Hdf5ElementType.Float32 or Hdf5ElementType.Float64)
            : IsNumeric(actual);
        if (!ok)
            throw new Hdf5Exception(
                $"'{path}' holds {actual} elements; expected a type readable as {typeof(T).Name}.", "read", path);
    }
}
