namespace MlNetStem.Data;

/// <summary>
/// The type of a column: a scalar kind, text, an image reference, or a fixed-shape float
/// tensor. A tensor type whose <see cref="Dimensions"/> are empty has a size that is not
/// known yet (used by estimators to describe outputs before fitting).
/// </summary>
public sealed class ColumnType : IEquatable<ColumnType>
{
    private readonly int[] _dimensions;

    private ColumnType(ColumnKind kind, int[] dimensions)
    {
        Kind = kind;
        _dimensions = dimensions;
    }

    /// <summary>What kind of values the column holds.</summary>
    public ColumnKind Kind { get; }

    /// <summary>Tensor shape per row (empty for scalars and for tensors of unknown size).</summary>
    public IReadOnlyList<int> Dimensions => _dimensions;

    /// <summary>Number of values per row: 1 for scalars, the product of the dimensions for tensors (0 when unknown).</summary>
    public int Size => Kind == ColumnKind.FloatTensor
        ? (_dimensions.Length == 0 ? 0 : _dimensions.Aggregate(1, (a, b) => a * b))
        : 1;

    /// <summary>True for a tensor type whose shape is fixed.</summary>
    public bool IsKnownSize => Kind != ColumnKind.FloatTensor || _dimensions.Length > 0;

    /// <summary>32-bit float scalar.</summary>
    public static ColumnType Float32 { get; } = new(ColumnKind.Float32, []);
    /// <summary>64-bit float scalar.</summary>
    public static ColumnType Float64 { get; } = new(ColumnKind.Float64, []);
    /// <summary>32-bit integer scalar.</summary>
    public static ColumnType Int32 { get; } = new(ColumnKind.Int32, []);
    /// <summary>64-bit integer scalar.</summary>
    public static ColumnType Int64 { get; } = new(ColumnKind.Int64, []);
    /// <summary>Boolean scalar.</summary>
    public static ColumnType Boolean { get; } = new(ColumnKind.Boolean, []);
    /// <summary>Text.</summary>
    public static ColumnType Text { get; } = new(ColumnKind.Text, []);
    /// <summary>Image or slide reference.</summary>
    public static ColumnType Image { get; } = new(ColumnKind.Image, []);
    /// <summary>Float tensor whose size is decided when an estimator is fitted.</summary>
    public static ColumnType FloatVectorOfUnknownSize { get; } = new(ColumnKind.FloatTensor, []);

    /// <summary>A fixed-shape float tensor, e.g. <c>FloatTensor(3, 224, 224)</c> or a vector <c>FloatTensor(250)</c>.</summary>
    /// <exception cref="ArgumentException">No dimension given, or a dimension is not positive.</exception>
    public static ColumnType FloatTensor(params int[] dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Length == 0)
            throw new ArgumentException("A tensor type needs at least one dimension.", nameof(dimensions));
        if (dimensions.Any(d => d <= 0))
            throw new ArgumentException($"Tensor dimensions must be positive, got [{string.Join(", ", dimensions)}].", nameof(dimensions));
        return new ColumnType(ColumnKind.FloatTensor, (int[])dimensions.Clone());
    }

    /// <summary>The .NET array type that holds one batch of this column.</summary>
    public Type BatchArrayType => Kind switch
    {
        ColumnKind.Float32 or ColumnKind.FloatTensor => typeof(float[]),
        ColumnKind.Float64 => typeof(double[]),
        ColumnKind.Int32 => typeof(int[]),
        ColumnKind.Int64 => typeof(long[]),
        ColumnKind.Boolean => typeof(bool[]),
        ColumnKind.Text => typeof(string[]),
        ColumnKind.Image => typeof(SlideReference[]),
        _ => throw new InvalidOperationException($"Unknown column kind {Kind}."),
    };

    /// <summary>
    /// True when a column of type <paramref name="actual"/> satisfies this (possibly
    /// size-unknown) expected type.
    /// </summary>
    public bool IsSatisfiedBy(ColumnType actual)
    {
        ArgumentNullException.ThrowIfNull(actual);
        if (Kind != actual.Kind) return false;
        return !IsKnownSize || Equals(actual);
    }

    /// <inheritdoc />
    public bool Equals(ColumnType? other) =>
        other is not null && Kind == other.Kind && _dimensions.AsSpan().SequenceEqual(other._dimensions);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ColumnType t && Equals(t);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Kind);
        foreach (int d in _dimensions) hash.Add(d);
        return hash.ToHashCode();
    }

    /// <summary>Readable form used in error messages, e.g. <c>Tensor&lt;Float32&gt;[3×224×224]</c>.</summary>
    public override string ToString() => Kind == ColumnKind.FloatTensor
        ? (_dimensions.Length == 0 ? "Tensor<Float32>[?]" : $"Tensor<Float32>[{string.Join("×", _dimensions)}]")
        : Kind.ToString();

    /// <summary>Parses the output of <see cref="ToString"/> (used by the model archive).</summary>
    /// <exception cref="FormatException">The text is not a column type.</exception>
    public static ColumnType Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith("Tensor<Float32>[", StringComparison.Ordinal) && text.EndsWith(']'))
        {
            string inner = text["Tensor<Float32>[".Length..^1];
            if (inner == "?") return FloatVectorOfUnknownSize;
            return FloatTensor(inner.Split('×').Select(int.Parse).ToArray());
        }
        return Enum.TryParse(text, out ColumnKind kind) ? kind switch
        {
            ColumnKind.Float32 => Float32,
            ColumnKind.Float64 => Float64,
            ColumnKind.Int32 => Int32,
            ColumnKind.Int64 => Int64,
            ColumnKind.Boolean => Boolean,
            ColumnKind.Text => Text,
            ColumnKind.Image => Image,
            _ => throw new FormatException($"'{text}' is not a column type."),
        } : throw new FormatException($"'{text}' is not a column type.");
    }
}
