using System.Globalization;

namespace MlNetStem.Onnx;

/// <summary>
/// A dense CPU tensor: a managed array plus a shape. Inputs wrap the caller's array without
/// copying (do not mutate it while a run is in progress); outputs own fresh arrays.
/// </summary>
public sealed class OnnxTensor
{
    private readonly long[] _shape;

    private OnnxTensor(Array data, long[] shape, OnnxElementType elementType)
    {
        Data = data;
        _shape = shape;
        ElementType = elementType;
    }

    /// <summary>Element type.</summary>
    public OnnxElementType ElementType { get; }

    /// <summary>Dimensions.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public long ElementCount => Data.LongLength;

    /// <summary>The backing array.</summary>
    internal Array Data { get; }

    internal ReadOnlySpan<long> ShapeSpan => _shape;

    /// <summary>Wraps <paramref name="data"/> (row-major, not copied) with the given shape.</summary>
    /// <typeparam name="T">float, double, sbyte, byte, short, ushort, int, uint, long, ulong or bool.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> or <paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException">A dimension is negative or the element count differs from the shape's.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no ONNX element type here.</exception>
    public static OnnxTensor Create<T>(T[] data, params long[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        var type = ElementTypeOf<T>();
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"Tensor dimensions must be non-negative, got [{Format(shape)}].", nameof(shape));
            count = checked(count * d);
        }
        if (count != data.LongLength)
            throw new ArgumentException(
                $"Shape [{Format(shape)}] holds {count} elements but the array has {data.LongLength}.", nameof(data));
        return new OnnxTensor(data, (long[])shape.Clone(), type);
    }

    /// <summary>A rank-0 tensor holding one value.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no ONNX element type here.</exception>
    public static OnnxTensor Scalar<T>(T value) where T : unmanaged => Create(new[] { value });

    /// <summary>The elements, without copying.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match <see cref="ElementType"/>.</exception>
    public T[] GetData<T>() where T : unmanaged =>
        Data as T[] ?? throw new InvalidOperationException(
            $"The tensor holds {ElementType} elements, not {typeof(T).Name}.");

    /// <summary>Readable shape and type, e.g. <c>Float[2,4]</c>.</summary>
    public override string ToString() => $"{ElementType}[{Format(_shape)}]";

    internal static string Format(IEnumerable<long> shape) =>
        string.Join(",", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    internal static OnnxTensor Wrap(Array data, long[] shape, OnnxElementType type) => new(data, shape, type);

    /// <summary>Maps a managed element type to its ONNX element type.</summary>
    /// <exception cref="NotSupportedException">No mapping exists.</exception>
    public static OnnxElementType ElementTypeOf<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(float) => OnnxElementType.Float,
        var t when t == typeof(double) => OnnxElementType.Double,
        var t when t == typeof(long) => OnnxElementType.Int64,
        var t when t == typeof(int) => OnnxElementType.Int32,
        var t when t == typeof(short) => OnnxElementType.Int16,
        var t when t == typeof(sbyte) => OnnxElementType.Int8,
        var t when t == typeof(byte) => OnnxElementType.UInt8,
        var t when t == typeof(ushort) => OnnxElementType.UInt16,
        var t when t == typeof(uint) => OnnxElementType.UInt32,
        var t when t == typeof(ulong) => OnnxElementType.UInt64,
        var t when t == typeof(bool) => OnnxElementType.Bool,
        _ => throw new NotSupportedException($"{typeof(T).Name} has no ONNX tensor element type in this binding."),
    };

    /// <summary>A new zeroed array of <paramref name="count"/> elements of <paramref name="type"/>.</summary>
    internal static Array NewArray(OnnxElementType type, long count) => type switch
    {
        OnnxElementType.Float => new float[count],
        OnnxElementType.Double => new double[count],
        OnnxElementType.Int64 => new long[count],
        OnnxElementType.Int32 => new int[count],
        OnnxElementType.Int16 => new short[count],
        OnnxElementType.Int8 => new sbyte[count],
        OnnxElementType.UInt8 => new byte[count],
        OnnxElementType.UInt16 => new ushort[count],
        OnnxElementType.UInt32 => new uint[count],
        OnnxElementType.UInt64 => new ulong[count],
        OnnxElementType.Bool => new bool[count],
        _ => throw new NotSupportedException($"Output element type {type} is not supported by this binding."),
    };

    internal static int ElementSize(OnnxElementType type) => type switch
    {
        OnnxElementType.Float or OnnxElementType.Int32 or OnnxElementType.UInt32 => 4,
        OnnxElementType.Double or OnnxElementType.Int64 or OnnxElementType.UInt64 => 8,
        OnnxElementType.Int16 or OnnxElementType.UInt16 => 2,
        OnnxElementType.Int8 or OnnxElementType.UInt8 or OnnxElementType.Bool => 1,
        _ => throw new NotSupportedException($"Element type {type} is not supported by this binding."),
    };
}
