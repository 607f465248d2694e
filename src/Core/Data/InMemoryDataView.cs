using Microsoft.ML;

namespace MlNetStem.Data;

/// <summary>
/// A Microsoft.ML <see cref="IDataView"/> over column arrays already in memory (a loaded section's
/// spots, a materialized result). Reading it in batches slices the arrays without per-row work.
/// </summary>
public sealed class InMemoryDataView : BatchDataView
{
    private readonly Dictionary<string, Array> _columns;

    /// <summary>Creates the view; every visible column of <paramref name="schema"/> needs an array of matching type and length.</summary>
    /// <exception cref="ArgumentException">A column has no values, or values of the wrong type or length.</exception>
    public InMemoryDataView(DataViewSchema schema, int rowCount, IReadOnlyDictionary<string, Array> columns)
    {
        ArgumentNullException.ThrowIfNull(schema);
        // Validates types and lengths once, up front.
        var all = new DataBatch(schema, rowCount, columns);
        foreach (var c in schema.Visible())
            if (!all.Has(c.Name)) throw new ArgumentException($"No values given for column '{c.Name}'.");
        Schema = schema;
        Rows = rowCount;
        _columns = schema.Visible().ToDictionary(c => c.Name, c => all.GetArray(c.Name), StringComparer.Ordinal);
    }

    /// <summary>Creates the view from detached columns (names, types and slot names).</summary>
    public InMemoryDataView(IEnumerable<DataViewSchema.DetachedColumn> columns, int rowCount, IReadOnlyDictionary<string, Array> values)
        : this(SchemaExtensions.Create(columns), rowCount, values) { }

    /// <inheritdoc />
    public override DataViewSchema Schema { get; }

    /// <inheritdoc />
    protected override int CursorBatchSize => Math.Max(1, Rows);

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <inheritdoc />
    public override long? GetRowCount() => Rows;

    /// <summary>The whole array of a column (row-major for vectors).</summary>
    /// <exception cref="SchemaMismatchException">No such column.</exception>
    public Array GetColumnArray(string name) => _columns[Schema.Get(name).Name];

    /// <inheritdoc />
    public override IEnumerable<DataBatch> ReadBatches(IReadOnlyCollection<string> columns, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        foreach (var name in columns) _ = Schema.Get(name);
        return Enumerate(columns.ToArray(), batchSize);
    }

    private IEnumerable<DataBatch> Enumerate(string[] columns, int batchSize)
    {
        for (int start = 0; start < Rows; start += batchSize)
        {
            int count = Math.Min(batchSize, Rows - start);
            if (start == 0 && count == Rows)
            {
                yield return new DataBatch(Schema, Rows, columns.ToDictionary(c => c, c => _columns[c]));
                continue;
            }
            var slice = new Dictionary<string, Array>(StringComparer.Ordinal);
            foreach (var c in columns) slice[c] = SliceRows(_columns[c], ColumnTypes.ValuesPerRow(Schema[c].Type), start, count);
            yield return new DataBatch(Schema, count, slice);
        }
    }

    /// <summary>Rows <c>[start, start + count)</c> of a column array holding <paramref name="size"/> values per row.</summary>
    public static Array SliceRows(Array source, int size, int start, int count)
    {
        var result = Array.CreateInstance(source.GetType().GetElementType()!, count * size);
        Array.Copy(source, (long)start * size, result, 0, (long)count * size);
        return result;
    }
}
