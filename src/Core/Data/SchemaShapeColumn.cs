namespace MlNetStem.Data;

/// <summary>A column of a <see cref="SchemaShape"/>.</summary>
/// <param name="Name">Column name.</param>
/// <param name="Type">Type; a tensor's size may be unknown before fitting.</param>
/// <param name="HasSlotNames">Whether the column will carry slot names (e.g. genes).</param>
public sealed record SchemaShapeColumn(string Name, ColumnType Type, bool HasSlotNames = false);
