using MlNetStem.Hdf5.Interop;

namespace MlNetStem.Hdf5;

/// <summary>
/// An open HDF5 dataset. Numeric reads convert natively to the requested element type; row and
/// hyperslab reads fetch only the selected part.
/// </summary>
public sealed class Hdf5Dataset : Hdf5Object
{
    private readonly long[] _shape;

    internal Hdf5Dataset(H5Handle handle, string path) : base(handle, path)
    {
        lock (Hdf5Library.Sync)
        {
            using H5Handle type = H5Handle.Wrap(H5Native.H5Dget_type(handle.Id), H5HandleKind.Datatype, "H5Dget_type", path);
            using H5Handle space = H5Handle.Wrap(H5Native.H5Dget_space(handle.Id), H5HandleKind.Dataspace, "H5Dget_space", path);
            ElementType = H5Types.Classify(type.Id);
            long[]? dims = H5Io.Dims(space.Id, path);
            IsNull = dims is null;
            _shape = dims ?? [0];
        }
    }

    /// <summary>Element type of the stored data.</summary>
    public Hdf5ElementType ElementType { get; }

    /// <summary>Dimensions; empty for a scalar dataset.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => IsNull ? 1 : _shape.Length;

    /// <summary>Total number of elements.</summary>
    public long ElementCount => Count(IsNull ? null : _shape);

    private bool IsNull { get; }

    /// <summary>Reads every element (row-major), converting to T.</summary>
    /// <exception cref="Hdf5Exception">The stored type is not convertible to T (message names both).</exception>
    public T[] Read<T>() where T : unmanaged
    {
        H5Types.RequireReadable<T>(ElementType, Path);
        lock (Hdf5Library.Sync)
        {
            return H5Io.ReadNumeric<T>(Id, attribute: false, ElementType, H5Native.H5S_ALL, H5Native.H5S_ALL, ElementCount, Path);
        }
    }

    /// <summary>Reads the single element of a scalar (or one-element) dataset.</summary>
    /// <exception cref="Hdf5Exception">Wrong type or not exactly one element.</exception>
    public T ReadScalar<T>() where T : unmanaged
    {
        if (ElementCount != 1)
            throw new Hdf5Exception($"'{Path}' holds {ElementCount} elements; expected a scalar.", "read", Path);
        return Read<T>()[0];
    }

    /// <summary>
    /// Reads rows [<paramref name="start"/>, start + <paramref name="count"/>) along the first
    /// dimension, all of every other dimension, without reading the rest.
    /// </summary>
    /// <exception cref="ArgumentException">The dataset is a scalar.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The row range leaves the dataset.</exception>
    /// <exception cref="Hdf5Exception">The stored type is not convertible to T.</exception>
    public T[] ReadRows<T>(long start, long count) where T : unmanaged
    {
        (long[] s, long[] c) = RowSelection(start, count);
        return ReadHyperslab<T>(s, c);
    }

    /// <summary>Reads the block starting at <paramref name="start"/> with extent <paramref name="count"/> (row-major result).</summary>
    /// <exception cref="ArgumentException">Rank of start/count differs from the dataset's (message gives both).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The block leaves the dataset.</exception>
    /// <exception cref="Hdf5Exception">The stored type is not convertible to T.</exception>
    public T[] ReadHyperslab<T>(ReadOnlySpan<long> start, ReadOnlySpan<long> count) where T : unmanaged
    {
        long n = ValidateBlock(start, count);
        H5Types.RequireReadable<T>(ElementType, Path);
        lock (Hdf5Library.Sync)
        {
            using H5Handle fileSpace = H5Handle.Wrap(H5Native.H5Dget_space(Id), H5HandleKind.Dataspace, "H5Dget_space", Path);
            using H5Handle memSpace = H5Io.SimpleSpace([n], Path);
            if (n == 0) return [];
            H5Io.SelectHyperslab(fileSpace.Id, start, count, Path);
            return H5Io.ReadNumeric<T>(Id, attribute: false, ElementType, memSpace.Id, fileSpace.Id, n, Path);
        }
    }

    /// <summary>Reads all strings (fixed or variable length) as a flat row-major array.</summary>
    /// <exception cref="Hdf5Exception">The dataset does not hold strings.</exception>
    public string[] ReadStrings()
    {
        RequireStrings();
        lock (Hdf5Library.Sync)
        {
            using H5Handle type = H5Handle.Wrap(H5Native.H5Dget_type(Id), H5HandleKind.Datatype, "H5Dget_type", Path);
            return H5Io.ReadStrings(Id, attribute: false, type.Id, H5Native.H5S_ALL, ElementCount, Path);
        }
    }

    /// <summary>Reads strings in rows [start, start + count) along the first dimension.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The row range leaves the dataset.</exception>
    /// <exception cref="Hdf5Exception">The dataset does not hold strings.</exception>
    public string[] ReadStringRows(long start, long count)
    {
        RequireStrings();
        (long[] s, long[] c) = RowSelection(start, count);
        long n = ValidateBlock(s, c);
        lock (Hdf5Library.Sync)
        {
            using H5Handle type = H5Handle.Wrap(H5Native.H5Dget_type(Id), H5HandleKind.Datatype, "H5Dget_type", Path);
            using H5Handle fileSpace = H5Handle.Wrap(H5Native.H5Dget_space(Id), H5HandleKind.Dataspace, "H5Dget_space", Path);
            if (n == 0) return [];
            H5Io.SelectHyperslab(fileSpace.Id, s, c, Path);
            return H5Io.ReadStrings(Id, attribute: false, type.Id, fileSpace.Id, n, Path);
        }
    }

    /// <summary>Reads the single string of a scalar (or one-element) string dataset.</summary>
    /// <exception cref="Hdf5Exception">Not a string dataset, or not exactly one element.</exception>
    public string ReadScalarString()
    {
        if (ElementCount != 1)
            throw new Hdf5Exception($"'{Path}' holds {ElementCount} elements; expected a scalar string.", "read", Path);
        return ReadStrings()[0];
    }

    /// <summary>Writes rows starting at <paramref name="start"/>; <paramref name="data"/> must hold whole rows.</summary>
    /// <exception cref="ArgumentException">Data is not a whole number of rows, or the dataset is a scalar.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The rows leave the dataset.</exception>
    /// <exception cref="Hdf5Exception">The native write failed (e.g. read-only file).</exception>
    public void WriteRows<T>(long start, ReadOnlySpan<T> data) where T : unmanaged
    {
        if (_shape.Length == 0) throw new ArgumentException($"'{Path}' is a scalar; it has no rows.");
        long rowSize = 1;
        for (int i = 1; i < _shape.Length; i++) rowSize *= _shape[i];
        if (rowSize == 0 || data.Length % rowSize != 0)
            throw new ArgumentException($"'{Path}': {data.Length} elements are not a whole number of rows of {rowSize}.", nameof(data));
        (long[] s, long[] c) = RowSelection(start, data.Length / rowSize);
        long n = ValidateBlock(s, c);
        if (n == 0) return;
        lock (Hdf5Library.Sync)
        {
            using H5Handle fileSpace = H5Handle.Wrap(H5Native.H5Dget_space(Id), H5HandleKind.Dataspace, "H5Dget_space", Path);
            using H5Handle memSpace = H5Io.SimpleSpace([n], Path);
            H5Io.SelectHyperslab(fileSpace.Id, s, c, Path);
            H5Io.WriteNumeric(Id, attribute: false, memSpace.Id, fileSpace.Id, data, Path);
        }
    }

    private void RequireStrings()
    {
        if (!H5Types.IsString(ElementType))
            throw new Hdf5Exception($"'{Path}' holds {ElementType} elements; expected strings.", "read", Path);
    }

    private (long[] Start, long[] Count) RowSelection(long start, long count)
    {
        if (_shape.Length == 0) throw new ArgumentException($"'{Path}' is a scalar (rank 0); row reads need rank >= 1.");
        var s = new long[_shape.Length];
        var c = (long[])_shape.Clone();
        s[0] = start;
        c[0] = count;
        return (s, c);
    }

    private long ValidateBlock(ReadOnlySpan<long> start, ReadOnlySpan<long> count)
    {
        if (start.Length != _shape.Length || count.Length != _shape.Length)
            throw new ArgumentException(
                $"'{Path}' has rank {_shape.Length}; got a selection of rank {start.Length} (start) / {count.Length} (count).");
        long n = 1;
        for (int i = 0; i < _shape.Length; i++)
        {
            if (start[i] < 0 || count[i] < 0 || start[i] + count[i] > _shape[i])
                throw new ArgumentOutOfRangeException(nameof(start),
                    $"'{Path}': selection [{start[i]}, {start[i] + count[i]}) of dimension {i} leaves the extent {_shape[i]}.");
            n = checked(n * count[i]);
        }
        return n;
    }
}
