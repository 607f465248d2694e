using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetStem.Data;

namespace MlNetStem.Pipeline;

/// <summary>
/// Builds and checks Microsoft.ML <see cref="SchemaShape"/>s for MlNetStem estimators.
/// <see cref="SchemaShape.Column"/> has no public constructor, so a new column's shape is taken from
/// a stock estimator that can compute it: an inert <c>CustomMapping</c> whose output schema
/// definition names the column and its run-time type. Nothing is mapped or read.
/// </summary>
public static class SchemaShapes
{
    private static readonly MLContext Ml = new();

    /// <summary>The shape of <paramref name="schema"/> (its visible columns).</summary>
    public static SchemaShape From(DataViewSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        // Columns of types MlNetStem never reads (keys, dates...) are left out: no MlNetStem estimator needs them,
        // and a stock estimator in a chain gets Microsoft.ML's own shape of the whole schema.
        return new SchemaShape(schema.Visible().Where(c => IsShapeable(c.Type)).Select(c => ColumnShape(c.Name, c.Type, c.SlotNames is not null)));
    }

    /// <summary>The column called <paramref name="name"/>, or null.</summary>
    public static SchemaShape.Column? Find(this SchemaShape shape, string name)
    {
        // The last column of a name is the visible one.
        for (int i = shape.Count - 1; i >= 0; i--)
            if (shape[i].Name == name) return shape[i];
        return null;
    }

    /// <summary>The kind of a column shape as MlNetStem reads it (a vector of unknown size is a float tensor too).</summary>
    public static ColumnKind KindOf(SchemaShape.Column column)
    {
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar)
            return column.ItemType == NumberDataViewType.Single ? ColumnKind.FloatTensor : ColumnKind.Other;
        return ColumnTypes.KindOf(column.ItemType);
    }

    /// <summary>Checks that <paramref name="name"/> exists with one of the given kinds.</summary>
    /// <exception cref="SchemaMismatchException">Missing or of another kind.</exception>
    public static SchemaShape.Column RequireKind(this SchemaShape shape, string name, string component, params ColumnKind[] kinds)
    {
        var column = shape.Find(name);
        if (column is null || !kinds.Contains(KindOf(column.Value)))
            throw new SchemaMismatchException(name, string.Join(" or ", kinds), column is null ? null : Describe(column.Value), component);
        return column.Value;
    }

    /// <summary>
    /// Checks that <paramref name="name"/> can satisfy <paramref name="expected"/>: same item type and vector-ness, and the
    /// same size unless the shape or the expectation leaves the size open.
    /// </summary>
    /// <exception cref="SchemaMismatchException">Missing or of another type.</exception>
    public static SchemaShape.Column Require(this SchemaShape shape, string name, DataViewType expected, string component)
    {
        var column = shape.Find(name);
        bool ok = column is { } c && (expected is VectorDataViewType v
            ? c.Kind != SchemaShape.Column.VectorKind.Scalar && c.ItemType == v.ItemType
            : c.Kind == SchemaShape.Column.VectorKind.Scalar && c.ItemType.Equals(expected));
        if (!ok) throw new SchemaMismatchException(name, expected.ToString() ?? "", column is null ? null : Describe(column.Value), component);
        return column!.Value;
    }

    /// <summary>True when the column carries slot names (gene names).</summary>
    public static bool HasSlotNames(this SchemaShape.Column column) =>
        column.Annotations.Find(SchemaColumns.SlotNamesKind) is not null;

    /// <summary>A new shape with <paramref name="columns"/> added, replacing same-named ones.</summary>
    public static SchemaShape With(this SchemaShape shape, params DataViewSchema.DetachedColumn[] columns)
    {
        var replaced = columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return new SchemaShape(shape.Where(c => !replaced.Contains(c.Name))
            .Concat(columns.Select(c => ColumnShape(c.Name, c.Type, c.SlotNames is not null))));
    }

    /// <summary>A new shape with a column of <paramref name="type"/> added (a float vector of unknown size is allowed).</summary>
    public static SchemaShape With(this SchemaShape shape, string name, DataViewType type, bool hasSlotNames = false)
    {
        var column = ColumnShape(name, type, hasSlotNames);
        return new SchemaShape(shape.Where(c => c.Name != name).Append(column));
    }

    /// <summary>A new shape with a copy of <paramref name="column"/> called <paramref name="name"/> (same kind and item type).</summary>
    public static SchemaShape WithCopy(this SchemaShape shape, SchemaShape.Column column, string name)
    {
        DataViewType type = column.Kind switch
        {
            SchemaShape.Column.VectorKind.Scalar => column.ItemType,
            // Shapes carry no vector sizes: any known size gives the "vector" kind.
            SchemaShape.Column.VectorKind.Vector => new VectorDataViewType((PrimitiveDataViewType)column.ItemType, 1),
            _ => new VectorDataViewType((PrimitiveDataViewType)column.ItemType),
        };
        return shape.With(name, type, column.HasSlotNames() && column.Kind == SchemaShape.Column.VectorKind.Vector);
    }

    /// <summary>Readable form of a column shape for messages.</summary>
    public static string Describe(SchemaShape.Column column) => column.Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => column.ItemType.ToString() ?? "",
        SchemaShape.Column.VectorKind.Vector => $"Vector<{column.ItemType}>",
        _ => $"VarVector<{column.ItemType}>",
    };

    private static bool IsShapeable(DataViewType type) => type switch
    {
        VectorDataViewType v => v.ItemType == NumberDataViewType.Single || v.ItemType == NumberDataViewType.Double || v.ItemType is TextDataViewType,
        _ => ColumnTypes.KindOf(type) != ColumnKind.Other || type == NumberDataViewType.UInt32,
    };

    private static SchemaShape.Column ColumnShape(string name, DataViewType type, bool hasSlotNames) => type switch
    {
        VectorDataViewType { ItemType: NumberDataViewType n } when n == NumberDataViewType.Single => Make<VBuffer<float>>(name, type, hasSlotNames),
        VectorDataViewType { ItemType: NumberDataViewType n } when n == NumberDataViewType.Double => Make<VBuffer<double>>(name, type, hasSlotNames),
        VectorDataViewType { ItemType: TextDataViewType } => Make<VBuffer<ReadOnlyMemory<char>>>(name, type, hasSlotNames),
        _ when type == NumberDataViewType.Single => Make<float>(name, type, false),
        _ when type == NumberDataViewType.Double => Make<double>(name, type, false),
        _ when type == NumberDataViewType.Int32 => Make<int>(name, type, false),
        _ when type == NumberDataViewType.Int64 => Make<long>(name, type, false),
        _ when type == NumberDataViewType.UInt32 => Make<uint>(name, type, false),
        BooleanDataViewType => Make<bool>(name, type, false),
        TextDataViewType => Make<ReadOnlyMemory<char>>(name, type, false),
        SlideDataViewType => MakeSlide(name),
        _ => throw new NotSupportedException($"Column '{name}': MlNetStem estimators do not produce columns of type {type}."),
    };

    private static SchemaShape.Column Make<T>(string name, DataViewType type, bool hasSlotNames)
    {
        var definition = SchemaDefinition.Create(typeof(OneColumn<T>));
        definition[0].ColumnName = name;
        definition[0].ColumnType = type;
        if (hasSlotNames && type is VectorDataViewType { IsKnownSize: true } v)
        {
            var names = new VBuffer<ReadOnlyMemory<char>>(v.Size, Enumerable.Repeat(ReadOnlyMemory<char>.Empty, v.Size).ToArray());
            definition[0].AddAnnotation(SchemaColumns.SlotNamesKind, names, new VectorDataViewType(TextDataViewType.Instance, v.Size));
        }
        var estimator = Ml.Transforms.CustomMapping<NoColumns, OneColumn<T>>((_, _) => { }, contractName: null,
            outputSchemaDefinition: definition);
        return estimator.GetOutputSchema(new SchemaShape([]))[0];
    }

    private static SchemaShape.Column MakeSlide(string name)
    {
        SlideDataViewType.EnsureRegistered();
        var definition = SchemaDefinition.Create(typeof(OneColumn<SlideReference>));
        definition[0].ColumnName = name;
        definition[0].ColumnType = SlideDataViewType.Instance;
        var estimator = Ml.Transforms.CustomMapping<NoColumns, OneColumn<SlideReference>>((_, _) => { }, contractName: null,
            outputSchemaDefinition: definition);
        return estimator.GetOutputSchema(new SchemaShape([]))[0];
    }

    private sealed class NoColumns;

    private sealed class OneColumn<T>
    {
#pragma warning disable CS0649 // Assigned by ML.NET's mapping, never by this code.
        public T Value = default!;
#pragma warning restore CS0649
    }
}
