using Microsoft.ML;

namespace MlNetStem.Data;

/// <summary>
/// Schema checks and edits on Microsoft.ML's <see cref="DataViewSchema"/> with MlNetStem's messages
/// (a <see cref="SchemaMismatchException"/> that names the component, the column and both types).
/// </summary>
public static class SchemaExtensions
{
    /// <summary>The visible column called <paramref name="name"/>, or null.</summary>
    public static DataViewSchema.Column? Find(this DataViewSchema schema, string name) => schema.GetColumnOrNull(name);

    /// <summary>The visible column called <paramref name="name"/>.</summary>
    /// <exception cref="SchemaMismatchException">No such column.</exception>
    public static DataViewSchema.Column Get(this DataViewSchema schema, string name, string? component = null) =>
        schema.GetColumnOrNull(name) ?? throw new SchemaMismatchException(name, "an existing column", null, component);

    /// <summary>Checks that <paramref name="name"/> exists with a type satisfying <paramref name="expected"/>.</summary>
    /// <exception cref="SchemaMismatchException">Missing or of another type.</exception>
    public static DataViewSchema.Column Require(this DataViewSchema schema, string name, Microsoft.ML.Data.DataViewType expected, string component)
    {
        var column = schema.GetColumnOrNull(name);
        if (column is null || !ColumnTypes.IsSatisfiedBy(expected, column.Value.Type))
            throw new SchemaMismatchException(name, expected.ToString() ?? "", column?.Type.ToString(), component);
        return column.Value;
    }

    /// <summary>Checks that <paramref name="name"/> exists with one of the given kinds.</summary>
    /// <exception cref="SchemaMismatchException">Missing or of another kind.</exception>
    public static DataViewSchema.Column RequireKind(this DataViewSchema schema, string name, string component, params ColumnKind[] kinds)
    {
        var column = schema.GetColumnOrNull(name);
        if (column is null || !kinds.Contains(ColumnTypes.KindOf(column.Value.Type)))
            throw new SchemaMismatchException(name, string.Join(" or ", kinds), column?.Type.ToString(), component);
        return column.Value;
    }

    /// <summary>
    /// A new schema with <paramref name="columns"/> added at the end; a same-named input column is dropped
    /// (MlNetStem views read columns by name, so a replaced column is not kept hidden).
    /// </summary>
    public static DataViewSchema With(this DataViewSchema schema, params DataViewSchema.DetachedColumn[] columns)
    {
        var replaced = columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var builder = new DataViewSchema.Builder();
        foreach (var c in schema)
            if (!c.IsHidden && !replaced.Contains(c.Name)) builder.AddColumn(c.Name, c.Type, c.Annotations);
        foreach (var c in columns) builder.AddColumn(c.Name, c.Type, c.Annotations);
        return builder.ToSchema();
    }

    /// <summary>A schema of the given columns.</summary>
    public static DataViewSchema Create(IEnumerable<DataViewSchema.DetachedColumn> columns)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var c in columns) builder.AddColumn(c.Name, c.Type, c.Annotations);
        return builder.ToSchema();
    }

    /// <summary>The visible columns of <paramref name="schema"/>.</summary>
    public static IEnumerable<DataViewSchema.Column> Visible(this DataViewSchema schema) => schema.Where(c => !c.IsHidden);

    /// <summary>Readable listing for messages: <c>Barcode: String, Counts: Vector&lt;Single, 15000&gt;</c>.</summary>
    public static string Describe(this DataViewSchema schema) =>
        string.Join(", ", schema.Visible().Select(c => $"{c.Name}: {c.Type}"));
}
