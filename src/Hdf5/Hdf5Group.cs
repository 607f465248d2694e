using System.Runtime.InteropServices;
using MlNetStem.Hdf5.Interop;

namespace MlNetStem.Hdf5;

/// <summary>An HDF5 group: creates, opens and lists its children. Paths may be nested ("a/b").</summary>
public unsafe class Hdf5Group : Hdf5Object
{
    internal Hdf5Group(H5Handle handle, string path) : base(handle, path)
    {
    }

    /// <summary>What exists at <paramref name="path"/> (relative to this group), checking each level.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    public Hdf5ObjectKind GetKind(string path)
    {
        ValidateName(path, nameof(path));
        lock (Hdf5Library.Sync)
        {
            string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            string prefix = "";
            for (int i = 0; i < parts.Length; i++)
            {
                prefix = prefix.Length == 0 ? parts[i] : prefix + "/" + parts[i];
                int exists = H5Native.H5Lexists(Id, prefix, H5Native.H5P_DEFAULT);
                if (exists < 0) throw Hdf5Library.Failure("H5Lexists", ChildPath(prefix));
                if (exists == 0) return Hdf5ObjectKind.None;
                Hdf5ObjectKind kind = KindOf(prefix);
                if (i == parts.Length - 1) return kind;
                if (kind != Hdf5ObjectKind.Group) return Hdf5ObjectKind.None;
            }
            return Hdf5ObjectKind.Group;
        }
    }

    private Hdf5ObjectKind KindOf(string name)
    {
        long obj = H5Native.H5Oopen(Id, name, H5Native.H5P_DEFAULT);
        // A dangling soft link exists as a link but cannot be opened.
        if (obj < 0) { H5Native.H5Eclear2(H5Native.H5E_DEFAULT); return Hdf5ObjectKind.None; }
        int type = H5Native.H5Iget_type(obj);
        H5Native.H5Oclose(obj);
        return type switch
        {
            H5Native.H5I_GROUP => Hdf5ObjectKind.Group,
            H5Native.H5I_DATASET => Hdf5ObjectKind.Dataset,
            _ => Hdf5ObjectKind.Other,
        };
    }

    /// <summary>True when anything exists at <paramref name="path"/>.</summary>
    public bool Exists(string path) => GetKind(path) != Hdf5ObjectKind.None;

    /// <summary>Names of the direct children, in name order.</summary>
    public IReadOnlyList<string> ChildNames()
    {
        lock (Hdf5Library.Sync)
        {
            var names = new List<string>();
            GCHandle gc = GCHandle.Alloc(names);
            try
            {
                ulong idx = 0;
                int status = H5Native.H5Literate(Id, H5Native.H5_INDEX_NAME, H5Native.H5_ITER_INC, &idx, &CollectName, GCHandle.ToIntPtr(gc));
                if (status < 0) throw Hdf5Library.Failure("H5Literate", Path);
            }
            finally
            {
                gc.Free();
            }
            return names;
        }
    }

    private void Require(string path, Hdf5ObjectKind expected)
    {
        Hdf5ObjectKind actual = GetKind(path);
        if (actual == expected) return;
        string what = expected == Hdf5ObjectKind.Group ? "group" : "dataset";
        throw actual == Hdf5ObjectKind.None
            ? new Hdf5Exception($"No {what} '{ChildPath(path)}': nothing exists at that path.", "open " + what, ChildPath(path))
            : new Hdf5Exception($"'{ChildPath(path)}' is a {actual}, expected a {what}.", "open " + what, ChildPath(path));
    }

    /// <summary>Opens the child group at <paramref name="path"/>.</summary>
    /// <exception cref="Hdf5Exception">Nothing exists there, or it is not a group.</exception>
    public Hdf5Group OpenGroup(string path)
    {
        Require(path, Hdf5ObjectKind.Group);
        lock (Hdf5Library.Sync)
        {
            var handle = H5Handle.Wrap(H5Native.H5Gopen2(Id, path, H5Native.H5P_DEFAULT), H5HandleKind.Group, "H5Gopen2", ChildPath(path));
            return new Hdf5Group(handle, ChildPath(path));
        }
    }

    /// <summary>Creates a child group (its parent must exist).</summary>
    /// <exception cref="Hdf5Exception">Something already exists at that path, or the file is read-only.</exception>
    public Hdf5Group CreateGroup(string name)
    {
        ValidateName(name, nameof(name));
        if (Exists(name)) throw new Hdf5Exception($"Cannot create group '{ChildPath(name)}': it already exists.", "create group", ChildPath(name));
        lock (Hdf5Library.Sync)
        {
            var handle = H5Handle.Wrap(H5Native.H5Gcreate2(Id, name, H5Native.H5P_DEFAULT, H5Native.H5P_DEFAULT, H5Native.H5P_DEFAULT),
                H5HandleKind.Group, "H5Gcreate2", ChildPath(name));
            return new Hdf5Group(handle, ChildPath(name));
        }
    }

    /// <summary>Opens the dataset at <paramref name="path"/>.</summary>
    /// <exception cref="Hdf5Exception">Nothing exists there, or it is not a dataset.</exception>
    public Hdf5Dataset OpenDataset(string path)
    {
        Require(path, Hdf5ObjectKind.Dataset);
        lock (Hdf5Library.Sync)
        {
            var handle = H5Handle.Wrap(H5Native.H5Dopen2(Id, path, H5Native.H5P_DEFAULT), H5HandleKind.Dataset, "H5Dopen2", ChildPath(path));
            return new Hdf5Dataset(handle, ChildPath(path));
        }
    }

    /// <summary>
    /// Creates an uninitialized numeric (or boolean) dataset of the given shape, to be filled
    /// with <see cref="Hdf5Dataset.WriteRows{T}"/>. An empty shape makes a scalar.
    /// </summary>
    /// <param name="name">Name of the new dataset.</param>
    /// <param name="shape">Dimensions; every one must be non-negative.</param>
    /// <param name="compressionLevel">gzip level 1–9, or 0 for none.</param>
    /// <exception cref="ArgumentOutOfRangeException">Negative dimension or compression level outside 0–9.</exception>
    /// <exception cref="Hdf5Exception">Something already exists at that path, or the native call failed.</exception>
    public Hdf5Dataset CreateDataset<T>(string name, ReadOnlySpan<long> shape, int compressionLevel = 0) where T : unmanaged
    {
        ValidateName(name, nameof(name));
        lock (Hdf5Library.Sync)
        {
            return Create(name, H5Types.MemoryType<T>(), Marshal.SizeOf<T>(), shape, compressionLevel);
        }
    }

    private Hdf5Dataset Create(string name, long type, int elementSize, ReadOnlySpan<long> shape, int compressionLevel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(compressionLevel, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(compressionLevel, 9);
        foreach (long d in shape)
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(shape), $"Dimension {d} is negative.");
        if (Exists(name)) throw new Hdf5Exception($"Cannot create dataset '{ChildPath(name)}': it already exists.", "create dataset", ChildPath(name));
        using H5Handle space = H5Io.SimpleSpace(shape, ChildPath(name));
        using H5Handle dcpl = H5Handle.Wrap(H5Native.H5Pcreate(Hdf5Library.DatasetCreateClass), H5HandleKind.PropertyList, "H5Pcreate", ChildPath(name));
        bool compress = compressionLevel > 0 && shape.Length > 0;
        foreach (long d in shape) compress &= d > 0;   // chunks cannot have zero extent
        if (compress)
        {
            Span<ulong> chunk = stackalloc ulong[shape.Length];
            ChunkShape(shape, elementSize, chunk);
            fixed (ulong* c = chunk)
                Hdf5Library.Check(H5Native.H5Pset_chunk(dcpl.Id, shape.Length, c), "H5Pset_chunk", ChildPath(name));
            Hdf5Library.Check(H5Native.H5Pset_deflate(dcpl.Id, (uint)compressionLevel), "H5Pset_deflate", ChildPath(name));
        }
        var handle = H5Handle.Wrap(H5Native.H5Dcreate2(Id, name, type, space.Id, H5Native.H5P_DEFAULT, dcpl.Id, H5Native.H5P_DEFAULT),
            H5HandleKind.Dataset, "H5Dcreate2", ChildPath(name));
        return new Hdf5Dataset(handle, ChildPath(name));
    }

    // About 256 KiB per chunk, whole rows where possible, so row-range reads touch few chunks.
    private static void ChunkShape(ReadOnlySpan<long> shape, int elementSize, Span<ulong> chunk)
    {
        const long TargetBytes = 256 * 1024;
        long budget = Math.Max(1, TargetBytes / Math.Max(1, elementSize));
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            long c = i == 0 ? Math.Clamp(budget, 1, shape[i]) : Math.Min(shape[i], Math.Max(1, budget));
            chunk[i] = (ulong)c;
            budget = Math.Max(1, budget / c);
        }
    }

    /// <summary>Creates a numeric (or boolean, as h5py's enum) dataset and writes <paramref name="data"/>.</summary>
    /// <param name="name">Name of the new dataset.</param>
    /// <param name="data">Row-major elements; their count must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">Dimensions (empty for a scalar).</param>
    /// <param name="compressionLevel">gzip level 1–9, or 0 for none.</param>
    /// <returns>The open dataset (dispose it), e.g. to add attributes.</returns>
    /// <exception cref="ArgumentException">The element count does not match the shape.</exception>
    /// <exception cref="Hdf5Exception">Something already exists at that path, or the native call failed.</exception>
    public Hdf5Dataset WriteDataset<T>(string name, ReadOnlySpan<T> data, ReadOnlySpan<long> shape, int compressionLevel = 0) where T : unmanaged
    {
        ValidateName(name, nameof(name));
        long expected = 1;
        foreach (long d in shape) expected = checked(expected * Math.Max(0, d));
        if (expected != data.Length)
            throw new ArgumentException($"Dataset '{ChildPath(name)}': shape [{string.Join(", ", shape.ToArray())}] needs {expected} elements, got {data.Length}.", nameof(data));
        lock (Hdf5Library.Sync)
        {
            Hdf5Dataset dataset = Create(name, H5Types.MemoryType<T>(), Marshal.SizeOf<T>(), shape, compressionLevel);
            try
            {
                H5Io.WriteNumeric(dataset.Id, attribute: false, H5Native.H5S_ALL, H5Native.H5S_ALL, data, dataset.Path);
                return dataset;
            }
            catch
            {
                dataset.Dispose();
                throw;
            }
        }
    }

    /// <summary>Creates a 1-D numeric dataset from <paramref name="data"/>.</summary>
    /// <returns>The open dataset (dispose it).</returns>
    /// <exception cref="Hdf5Exception">Something already exists at that path, or the native call failed.</exception>
    public Hdf5Dataset WriteDataset<T>(string name, T[] data, int compressionLevel = 0) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return WriteDataset<T>(name, data, [data.LongLength], compressionLevel);
    }

    /// <summary>Creates a scalar numeric or boolean dataset.</summary>
    /// <returns>The open dataset (dispose it).</returns>
    public Hdf5Dataset WriteScalar<T>(string name, T value) where T : unmanaged => WriteDataset<T>(name, [value], [], 0);

    /// <summary>Creates a 1-D variable-length UTF-8 string dataset (null items become empty strings).</summary>
    /// <returns>The open dataset (dispose it).</returns>
    /// <exception cref="Hdf5Exception">Something already exists at that path, or the native call failed.</exception>
    public Hdf5Dataset WriteStrings(string name, IReadOnlyList<string?> values, int compressionLevel = 0)
    {
        ArgumentNullException.ThrowIfNull(values);
        return WriteStringsCore(name, values, [values.Count], compressionLevel);
    }

    /// <summary>Creates a scalar variable-length UTF-8 string dataset.</summary>
    /// <returns>The open dataset (dispose it).</returns>
    public Hdf5Dataset WriteString(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return WriteStringsCore(name, [value], [], 0);
    }

    private Hdf5Dataset WriteStringsCore(string name, IReadOnlyList<string?> values, long[] shape, int compressionLevel)
    {
        ValidateName(name, nameof(name));
        lock (Hdf5Library.Sync)
        {
            Hdf5Dataset dataset = Create(name, H5Types.VariableUtf8, IntPtr.Size, shape, compressionLevel);
            try
            {
                H5Io.WriteStrings(dataset.Id, attribute: false, H5Native.H5S_ALL, values, dataset.Path);
                return dataset;
            }
            catch
            {
                dataset.Dispose();
                throw;
            }
        }
    }
}
