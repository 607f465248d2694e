namespace MlNetStem.Data;

/// <summary>A columnar table held in memory; the source of tabular data (spots, counts, coordinates).</summary>
public sealed class InMemoryDataView : IDataView
{
    private readonly Dictionary<string, Array> _columns;

    /// <summary>Creates a view from whole-column arrays (see <see cref="DataBatch"/> for layout).</summary>
    /// <exception cref="ArgumentException">A column array is missing or has the wrong type or length.</exception>
    public InMemoryDataView(DataViewSchema schema, int rowCount, IReadOnlyDictionary<string, Array> columns)
    {
        // Validates types and lengths once, up front.
        var all = new DataBatch(schema, rowCount, columns);
        foreach (var c in schema.Columns)
            if (!all.Has(c.Name)) throw new ArgumentException($"No values given for column '{c.Name}'.");
        Schema = schema;
        Rows = rowCount;
        _columns = schema.Columns.ToDictionary(c => c.Name, c => all.GetArray(c.Name), StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public DataViewSchema Schema { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <inheritdoc />
    public long? RowCount => Rows;

    /// <summary>The whole array of a column (not a copy; do not modify).</summary>
    public Array GetColumnArray(string name) => _columns[Schema[name].Name];

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(IReadOnlyCollection<string> columns, int batchSize = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        foreach (var name in columns) _ = Schema[name];
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
            foreach (var c in columns) slice[c] = SliceRows(_columns[c], Schema[c].Type.Size, start, count);
            yield return new DataBatch(Schema, count, slice);
        }
    }

    /// <summary>Copies rows [start, start+count) of a column array with <paramref name="size"/> values per row.</summary>
    public static Array SliceRows(Array source, int size, int start, int count)
    {
        var result = Array.CreateInstance(source.GetType().GetElementType()!, count * size);
        Array.Copy(source, (long)start * size, result, 0, (long)count * size);
        return result;
    }
}
