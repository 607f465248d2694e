using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetStem.Data;

/// <summary>Builds Microsoft.ML schema columns with MlNetStem's annotations (gene names as <c>SlotNames</c>).</summary>
public static class SchemaColumns
{
    /// <summary>The annotation kind ML.NET uses for the names of a vector's slots.</summary>
    public const string SlotNamesKind = "SlotNames";

    /// <summary>A detached column, with <paramref name="slotNames"/> as its <c>SlotNames</c> annotation when given.</summary>
    /// <exception cref="ArgumentException">The slot names do not match the vector size.</exception>
    public static DataViewSchema.DetachedColumn Create(string name, DataViewType type, IReadOnlyList<string>? slotNames = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(type);
        return new DataViewSchema.DetachedColumn(name, type, SlotNameAnnotations(name, type, slotNames));
    }

    /// <summary>Annotations holding <paramref name="slotNames"/> (empty annotations when null).</summary>
    public static DataViewSchema.Annotations SlotNameAnnotations(string column, DataViewType type, IReadOnlyList<string>? slotNames)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        if (slotNames is null) return builder.ToAnnotations();
        if (type is not VectorDataViewType { IsKnownSize: true } vector || vector.Size != slotNames.Count)
            throw new ArgumentException($"Column '{column}' has {slotNames.Count} slot names for type {type}.");
        var names = slotNames.Select(s => s.AsMemory()).ToArray();
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> getter = (ref VBuffer<ReadOnlyMemory<char>> value) =>
            value = new VBuffer<ReadOnlyMemory<char>>(names.Length, (ReadOnlyMemory<char>[])names.Clone());
        builder.Add(SlotNamesKind, new VectorDataViewType(TextDataViewType.Instance, names.Length), getter);
        return builder.ToAnnotations();
    }

    /// <summary>The slot names of a column, or null when it has none.</summary>
    public static IReadOnlyList<string>? SlotNamesOf(DataViewSchema.Annotations annotations)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        var column = annotations.Schema.GetColumnOrNull(SlotNamesKind);
        if (column is null || column.Value.Type is not VectorDataViewType { ItemType: TextDataViewType }) return null;
        VBuffer<ReadOnlyMemory<char>> names = default;
        annotations.GetValue(SlotNamesKind, ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }
}
