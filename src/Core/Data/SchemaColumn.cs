namespace MlNetStem.Data;

/// <summary>One column of a <see cref="DataViewSchema"/>.</summary>
/// <param name="Name">Column name, unique within the schema.</param>
/// <param name="Type">Column type.</param>
/// <param name="SlotNames">Names of the slots of a vector column (e.g. gene symbols), or null.</param>
public sealed record SchemaColumn(string Name, ColumnType Type, IReadOnlyList<string>? SlotNames = null)
{
    /// <summary>True when slot names are present and equal to <paramref name="other"/>'s.</summary>
    public bool SameSlotNames(SchemaColumn other) =>
        (SlotNames is null && other.SlotNames is null) ||
        (SlotNames is not null && other.SlotNames is not null && SlotNames.SequenceEqual(other.SlotNames, StringComparer.Ordinal));
}
