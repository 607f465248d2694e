namespace MlNetStem.AnnData;

/// <summary>
/// An n-dimensional uint8 array in <c>uns</c>, e.g. an RGB image [height, width, 3] as scanpy keeps in
/// <c>uns['spatial'][library]['images']</c>. Bytes stay bytes: a 2000 px thumbnail is 12 MB here, 96 MB as doubles.
/// </summary>
public sealed class UInt8Array
{
    /// <summary>Wraps row-major <paramref name="data"/> (not copied) with <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">A negative dimension, or data.Length differs from the product of shape.</exception>
    public UInt8Array(long[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long n = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"Shape [{string.Join(", ", shape)}] has a negative dimension.", nameof(shape));
            n *= d;
        }
        if (n != data.LongLength) throw new ArgumentException($"Shape [{string.Join(", ", shape)}] needs {n} values, got {data.LongLength}.", nameof(data));
        Shape = shape;
        Data = data;
    }

    /// <summary>Dimensions (empty for a scalar).</summary>
    public long[] Shape { get; }

    /// <summary>Row-major values.</summary>
    public byte[] Data { get; }
}
