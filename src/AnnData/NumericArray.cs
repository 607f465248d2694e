namespace MlNetStem.AnnData;

/// <summary>An n-dimensional numeric array from <c>uns</c> (any rank), values widened to double.</summary>
public sealed class NumericArray
{
    /// <summary>Wraps row-major <paramref name="data"/> with <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">data.Length differs from the product of shape.</exception>
    public NumericArray(long[] shape, double[] data, bool isInteger = false)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long n = 1;
        foreach (long d in shape) n *= d;
        if (n != data.LongLength) throw new ArgumentException($"Shape [{string.Join(", ", shape)}] needs {n} values, got {data.LongLength}.", nameof(data));
        Shape = shape;
        Data = data;
        IsInteger = isInteger;
    }

    /// <summary>Dimensions (empty for a scalar).</summary>
    public long[] Shape { get; }

    /// <summary>Row-major values.</summary>
    public double[] Data { get; }

    /// <summary>True when the values were (and will be written as) 64-bit integers.</summary>
    public bool IsInteger { get; }
}
