using System.Runtime.InteropServices;
using MlNetStem.Hdf5.Interop;

namespace MlNetStem.Hdf5;

/// <summary>
/// An open HDF5 file, group or dataset: owns its native id and reads/writes its attributes.
/// Dispose it to release the id; the file stays open while any of its objects are.
/// </summary>
public abstract unsafe class Hdf5Object : IDisposable
{
    private protected Hdf5Object(H5Handle handle, string path)
    {
        Handle = handle;
        Path = path;
    }

    internal H5Handle Handle { get; }

    /// <summary>Absolute path of the object inside its file ("/" for the root).</summary>
    public string Path { get; }

    /// <summary>Releases the native id.</summary>
    public void Dispose()
    {
        Handle.Dispose();
        GC.SuppressFinalize(this);
    }

    internal long Id => Handle.IsClosed
        ? throw new ObjectDisposedException(GetType().Name, $"HDF5 object '{Path}' is disposed.")
        : Handle.Id;

    private protected string ChildPath(string name) => Path == "/" ? "/" + name.TrimStart('/') : Path + "/" + name.TrimStart('/');

    private protected static void ValidateName(string name, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, paramName);
        if (name.Contains('\0')) throw new ArgumentException("Names cannot contain NUL characters.", paramName);
    }

    private string AttrPath(string name) => $"{Path}@{name}";

    /// <summary>True when the object has an attribute called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    public bool HasAttribute(string name)
    {
        ValidateName(name, nameof(name));
        lock (Hdf5Library.Sync)
        {
            int exists = H5Native.H5Aexists(Id, name);
            if (exists < 0) throw Hdf5Library.Failure("H5Aexists", AttrPath(name));
            return exists > 0;
        }
    }

    /// <summary>Names of all attributes, in name order.</summary>
    public IReadOnlyList<string> AttributeNames()
    {
        lock (Hdf5Library.Sync)
        {
            var names = new List<string>();
            GCHandle gc = GCHandle.Alloc(names);
            try
            {
                ulong idx = 0;
                int status = H5Native.H5Aiterate2(Id, H5Native.H5_INDEX_NAME, H5Native.H5_ITER_INC, &idx, &CollectName, GCHandle.ToIntPtr(gc));
                if (status < 0) throw Hdf5Library.Failure("H5Aiterate2", Path);
            }
            finally
            {
                gc.Free();
            }
            return names;
        }
    }

    [UnmanagedCallersOnly]
    internal static int CollectName(long location, byte* name, void* info, IntPtr data)
    {
        var names = (List<string>)GCHandle.FromIntPtr(data).Target!;
        names.Add(Marshal.PtrToStringUTF8((IntPtr)name) ?? "");
        return 0;
    }

    private H5Handle OpenAttribute(string name)
    {
        int exists = H5Native.H5Aexists(Id, name);
        if (exists < 0) throw Hdf5Library.Failure("H5Aexists", AttrPath(name));
        if (exists == 0)
            throw new Hdf5Exception($"Attribute '{name}' does not exist on '{Path}'.", "open attribute", AttrPath(name));
        return H5Handle.Wrap(H5Native.H5Aopen(Id, name, H5Native.H5P_DEFAULT), H5HandleKind.Attribute, "H5Aopen", AttrPath(name));
    }

    /// <summary>Element type and shape (empty for scalars) of an attribute.</summary>
    /// <exception cref="Hdf5Exception">The attribute does not exist.</exception>
    public (Hdf5ElementType Type, long[] Shape) GetAttributeInfo(string name)
    {
        ValidateName(name, nameof(name));
        lock (Hdf5Library.Sync)
        {
            using H5Handle attr = OpenAttribute(name);
            using H5Handle type = H5Handle.Wrap(H5Native.H5Aget_type(attr.Id), H5HandleKind.Datatype, "H5Aget_type", AttrPath(name));
            using H5Handle space = H5Handle.Wrap(H5Native.H5Aget_space(attr.Id), H5HandleKind.Dataspace, "H5Aget_space", AttrPath(name));
            return (H5Types.Classify(type.Id), H5Io.Dims(space.Id, AttrPath(name)) ?? [0]);
        }
    }

    /// <summary>Reads a string attribute (fixed or variable length) holding exactly one string.</summary>
    /// <exception cref="Hdf5Exception">Missing attribute, not a string, or more than one element.</exception>
    public string ReadStringAttribute(string name)
    {
        string[] values = ReadStringArrayAttribute(name);
        if (values.Length != 1)
            throw new Hdf5Exception($"Attribute '{name}' on '{Path}' holds {values.Length} strings; expected 1.", "read attribute", AttrPath(name));
        return values[0];
    }

    /// <summary>
    /// Reads a string attribute of any shape as a flat array. An empty attribute of any type
    /// (h5py writes an empty list as an empty float array) reads as an empty array.
    /// </summary>
    /// <exception cref="Hdf5Exception">Missing attribute or non-empty attribute that is not a string.</exception>
    public string[] ReadStringArrayAttribute(string name)
    {
        ValidateName(name, nameof(name));
        lock (Hdf5Library.Sync)
        {
            using H5Handle attr = OpenAttribute(name);
            using H5Handle type = H5Handle.Wrap(H5Native.H5Aget_type(attr.Id), H5HandleKind.Datatype, "H5Aget_type", AttrPath(name));
            using H5Handle space = H5Handle.Wrap(H5Native.H5Aget_space(attr.Id), H5HandleKind.Dataspace, "H5Aget_space", AttrPath(name));
            long n = Count(H5Io.Dims(space.Id, AttrPath(name)));
            Hdf5ElementType kind = H5Types.Classify(type.Id);
            if (n == 0) return [];
            if (!H5Types.IsString(kind))
                throw new Hdf5Exception($"Attribute '{name}' on '{Path}' holds {kind} elements; expected strings.", "read attribute", AttrPath(name));
            return H5Io.ReadStrings(attr.Id, attribute: true, type.Id, H5Native.H5S_ALL, n, AttrPath(name));
        }
    }

    /// <summary>Reads a numeric (or boolean) attribute of any shape as a flat array, converting to T.</summary>
    /// <exception cref="Hdf5Exception">Missing attribute or elements not convertible to T.</exception>
    public T[] ReadAttribute<T>(string name) where T : unmanaged
    {
        ValidateName(name, nameof(name));
        lock (Hdf5Library.Sync)
        {
            using H5Handle attr = OpenAttribute(name);
            using H5Handle type = H5Handle.Wrap(H5Native.H5Aget_type(attr.Id), H5HandleKind.Datatype, "H5Aget_type", AttrPath(name));
            using H5Handle space = H5Handle.Wrap(H5Native.H5Aget_space(attr.Id), H5HandleKind.Dataspace, "H5Aget_space", AttrPath(name));
            long n = Count(H5Io.Dims(space.Id, AttrPath(name)));
            Hdf5ElementType kind = H5Types.Classify(type.Id);
            if (n == 0) return [];
            H5Types.RequireReadable<T>(kind, AttrPath(name));
            return H5Io.ReadNumeric<T>(attr.Id, attribute: true, kind, 0, 0, n, AttrPath(name));
        }
    }

    /// <summary>Reads a numeric attribute holding exactly one value.</summary>
    /// <exception cref="Hdf5Exception">Missing attribute, wrong type, or not exactly one element.</exception>
    public T ReadScalarAttribute<T>(string name) where T : unmanaged
    {
        T[] values = ReadAttribute<T>(name);
        if (values.Length != 1)
            throw new Hdf5Exception($"Attribute '{name}' on '{Path}' holds {values.Length} values; expected 1.", "read attribute", AttrPath(name));
        return values[0];
    }

    private H5Handle CreateAttribute(string name, long type, ReadOnlySpan<long> dims)
    {
        int exists = H5Native.H5Aexists(Id, name);
        if (exists < 0) throw Hdf5Library.Failure("H5Aexists", AttrPath(name));
        // Attributes cannot change type or shape in place: replace.
        if (exists > 0) Hdf5Library.Check(H5Native.H5Adelete(Id, name), "H5Adelete", AttrPath(name));
        using H5Handle space = H5Io.SimpleSpace(dims, AttrPath(name));
        return H5Handle.Wrap(H5Native.H5Acreate2(Id, name, type, space.Id, H5Native.H5P_DEFAULT, H5Native.H5P_DEFAULT),
            H5HandleKind.Attribute, "H5Acreate2", AttrPath(name));
    }

    /// <summary>Writes (or replaces) a scalar variable-length UTF-8 string attribute.</summary>
    public void WriteAttribute(string name, string value)
    {
        ValidateName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(value);
        lock (Hdf5Library.Sync)
        {
            using H5Handle attr = CreateAttribute(name, H5Types.VariableUtf8, []);
            H5Io.WriteStrings(attr.Id, attribute: true, 0, [value], AttrPath(name));
        }
    }

    /// <summary>Writes (or replaces) a 1-D variable-length UTF-8 string array attribute.</summary>
    public void WriteAttribute(string name, IReadOnlyList<string> values)
    {
        ValidateName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(values);
        lock (Hdf5Library.Sync)
        {
            using H5Handle attr = CreateAttribute(name, H5Types.VariableUtf8, [values.Count]);
            H5Io.WriteStrings(attr.Id, attribute: true, 0, values, AttrPath(name));
        }
    }

    /// <summary>Writes (or replaces) a scalar numeric or boolean attribute (bool as h5py's enum).</summary>
    public void WriteScalarAttribute<T>(string name, T value) where T : unmanaged
    {
        ValidateName(name, nameof(name));
        lock (Hdf5Library.Sync)
        {
            using H5Handle attr = CreateAttribute(name, H5Types.MemoryType<T>(), []);
            H5Io.WriteNumeric<T>(attr.Id, attribute: true, 0, 0, [value], AttrPath(name));
        }
    }

    /// <summary>Writes (or replaces) a 1-D numeric or boolean array attribute.</summary>
    public void WriteAttribute<T>(string name, ReadOnlySpan<T> values) where T : unmanaged
    {
        ValidateName(name, nameof(name));
        lock (Hdf5Library.Sync)
        {
            using H5Handle attr = CreateAttribute(name, H5Types.MemoryType<T>(), [values.Length]);
            H5Io.WriteNumeric(attr.Id, attribute: true, 0, 0, values, AttrPath(name));
        }
    }

    private protected static long Count(long[]? dims)
    {
        if (dims is null) return 0;
        long n = 1;
        foreach (long d in dims) n = checked(n * d);
        return n;
    }
}
