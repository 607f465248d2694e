namespace MlNetStem.Onnx.Writer;

/// <summary>
/// One dimension of a declared input or output shape: a fixed size, a symbolic name (such as
/// the batch dimension "N"), or unknown. Converts implicitly from <see cref="long"/> and <see cref="string"/>.
/// </summary>
public readonly record struct OnnxDim
{
    private OnnxDim(long? size, string? symbol)
    {
        Size = size;
        Symbol = symbol;
    }

    /// <summary>The fixed size, or null when symbolic or unknown.</summary>
    public long? Size { get; }

    /// <summary>The symbolic name, or null when fixed or unknown.</summary>
    public string? Symbol { get; }

    /// <summary>A dimension with neither size nor name.</summary>
    public static OnnxDim Unknown => default;

    /// <summary>A fixed size.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    public static OnnxDim Fixed(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return new(size, null);
    }

    /// <summary>A named symbolic dimension; equal names mean equal sizes at run time.</summary>
    /// <exception cref="ArgumentException"><paramref name="symbol"/> is empty.</exception>
    public static OnnxDim Symbolic(string symbol)
    {
        ArgumentException.ThrowIfNullOrEmpty(symbol);
        return new(null, symbol);
    }

    /// <summary>A fixed size.</summary>
    public static implicit operator OnnxDim(long size) => Fixed(size);

    /// <summary>A named symbolic dimension.</summary>
    public static implicit operator OnnxDim(string symbol) => Symbolic(symbol);

    /// <inheritdoc/>
    public override string ToString() => Size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}
