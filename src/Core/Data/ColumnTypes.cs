using Microsoft.ML.Data;

namespace MlNetStem.Data;

/// <summary>
/// The Microsoft.ML column types MlNetStem uses, and how each is held in a <see cref="DataBatch"/>.
/// </summary>
public static class ColumnTypes
{
    /// <summary>32-bit float scalar.</summary>
    public static DataViewType Float32 => NumberDataViewType.Single;
    /// <summary>64-bit float scalar.</summary>
    public static DataViewType Float64 => NumberDataViewType.Double;
    /// <summary>32-bit integer scalar.</summary>
    public static DataViewType Int32 => NumberDataViewType.Int32;
    /// <summary>64-bit integer scalar.</summary>
    public static DataViewType Int64 => NumberDataViewType.Int64;
    /// <summary>Boolean scalar.</summary>
    public static DataViewType Boolean => BooleanDataViewType.Instance;
    /// <summary>Text.</summary>
    public static DataViewType Text => TextDataViewType.Instance;
    /// <summary>Image or slide reference.</summary>
    public static DataViewType Image => SlideDataViewType.Instance;
    /// <summary>Float vector whose size is decided when an estimator is fitted.</summary>
    public static VectorDataViewType FloatVectorOfUnknownSize { get; } = new(NumberDataViewType.Single);

    /// <summary>A fixed-shape float tensor, e.g. <c>FloatTensor(3, 224, 224)</c> or a vector <c>FloatTensor(250)</c>.</summary>
    /// <exception cref="ArgumentException">No dimension given, or a dimension is not positive.</exception>
    public static VectorDataViewType FloatTensor(params int[] dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Length == 0)
            throw new ArgumentException("A tensor type needs at least one dimension.", nameof(dimensions));
        if (dimensions.Any(d => d <= 0))
            throw new ArgumentException($"Tensor dimensions must be positive, got [{string.Join(", ", dimensions)}].", nameof(dimensions));
        return new VectorDataViewType(NumberDataViewType.Single, dimensions);
    }

    /// <summary>The kind of <paramref name="type"/> as MlNetStem components read it.</summary>
    public static ColumnKind KindOf(DataViewType type) => type switch
    {
        VectorDataViewType v when v.ItemType == NumberDataViewType.Single => ColumnKind.FloatTensor,
        _ when type == NumberDataViewType.Single => ColumnKind.Float32,
        _ when type == NumberDataViewType.Double => ColumnKind.Float64,
        _ when type == NumberDataViewType.Int32 => ColumnKind.Int32,
        _ when type == NumberDataViewType.Int64 => ColumnKind.Int64,
        BooleanDataViewType => ColumnKind.Boolean,
        TextDataViewType => ColumnKind.Text,
        SlideDataViewType => ColumnKind.Image,
        _ => ColumnKind.Other,
    };

    /// <summary>Values per row: 1 for scalars, the vector size for float tensors (0 when not known yet).</summary>
    public static int SizeOf(DataViewType type) => type is VectorDataViewType v ? v.Size : 1;

    /// <summary>Tensor shape per row (empty for scalars and for vectors of unknown size).</summary>
    public static IReadOnlyList<int> DimensionsOf(DataViewType type) =>
        type is VectorDataViewType { IsKnownSize: true } v ? v.Dimensions.ToArray() : [];

    /// <summary>
    /// True when a column of type <paramref name="actual"/> satisfies <paramref name="expected"/>; a float vector
    /// of unknown size is satisfied by any float vector.
    /// </summary>
    public static bool IsSatisfiedBy(DataViewType expected, DataViewType actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        if (expected is VectorDataViewType { IsKnownSize: false } e)
            return actual is VectorDataViewType a && a.ItemType == e.ItemType;
        return expected.Equals(actual);
    }

    /// <summary>
    /// Array elements per row in a <see cref="DataBatch"/>: the vector size for float tensors (flattened row-major; 0 when
    /// not known), 1 for everything else (scalars, text, slides, and values of other Microsoft.ML types held as they are).
    /// </summary>
    public static int ValuesPerRow(DataViewType type) => KindOf(type) == ColumnKind.FloatTensor ? SizeOf(type) : 1;

    /// <summary>
    /// The .NET array type that holds one batch of a column of this type. Columns of types MlNetStem does not compute with
    /// (keys, dates, vectors of other numbers, images of ML.NET's ImageAnalytics...) are held one value per row in an array of
    /// the type's raw .NET type, so they pass through MlNetStem's views unchanged.
    /// </summary>
    public static Type BatchArrayType(DataViewType type) => KindOf(type) switch
    {
        ColumnKind.Float32 or ColumnKind.FloatTensor => typeof(float[]),
        ColumnKind.Float64 => typeof(double[]),
        ColumnKind.Int32 => typeof(int[]),
        ColumnKind.Int64 => typeof(long[]),
        ColumnKind.Boolean => typeof(bool[]),
        ColumnKind.Text => typeof(string[]),
        ColumnKind.Image => typeof(SlideReference[]),
        _ => type.RawType.MakeArrayType(),
    };

    /// <summary>Readable form used in error messages, e.g. <c>Vector&lt;Single, 3, 224, 224&gt;</c>.</summary>
    public static string Describe(DataViewType type) => type.ToString() ?? type.GetType().Name;

    /// <summary>
    /// The name a model archive records for <paramref name="type"/> (<c>Float32</c>, <c>Text</c>, <c>Image</c>,
    /// <c>Tensor&lt;Float32&gt;[3×224×224]</c>...), or null for a type MlNetStem does not read.
    /// </summary>
    public static string? ArchiveName(DataViewType type) => KindOf(type) switch
    {
        ColumnKind.FloatTensor => type is VectorDataViewType { IsKnownSize: true } v
            ? $"Tensor<Float32>[{string.Join("×", v.Dimensions.ToArray())}]"
            : "Tensor<Float32>[?]",
        ColumnKind.Other => null,
        var kind => kind.ToString(),
    };

    /// <summary>Parses a name written by <see cref="ArchiveName"/>.</summary>
    /// <exception cref="FormatException">The text is not a column type name.</exception>
    public static DataViewType ParseArchiveName(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith("Tensor<Float32>[", StringComparison.Ordinal) && text.EndsWith(']'))
        {
            string inner = text["Tensor<Float32>[".Length..^1];
            if (inner == "?") return FloatVectorOfUnknownSize;
            try
            {
                return FloatTensor(inner.Split('×').Select(int.Parse).ToArray());
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                throw new FormatException($"'{text}' is not a column type.", e);
            }
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
