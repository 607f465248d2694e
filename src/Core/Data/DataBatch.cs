using Microsoft.ML;

namespace MlNetStem.Data;

/// <summary>
/// A block of consecutive rows holding only the columns a consumer asked for. Columns are
/// plain arrays: scalars one value per row, tensors flattened row-major (row r's values at
/// <c>[r * size, (r + 1) * size)</c>).
/// </summary>
public sealed class DataBatch
{
    private readonly Dictionary<string, Array> _columns;

    /// <summary>Creates a batch; every array must match the schema type and the row count.</summary>
    /// <exception cref="ArgumentException">An array has the wrong type or length.</exception>
    public DataBatch(DataViewSchema schema, int rowCount, IReadOnlyDictionary<string, Array> columns)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        Schema = schema;
        RowCount = rowCount;
        _columns = new Dictionary<string, Array>(StringComparer.Ordinal);
        foreach (var (name, array) in columns)
        {
            var column = schema.Get(name);
            var arrayType = ColumnTypes.BatchArrayType(column.Type);
            if (array.GetType() != arrayType)
                throw new ArgumentException($"Column '{name}' ({column.Type}) needs {arrayType.Name}, got {array.GetType().Name}.");
            int size = ColumnTypes.ValuesPerRow(column.Type);
            long expected = (long)rowCount * size;
            if (size > 0 && array.Length != expected)
                throw new ArgumentException($"Column '{name}' ({column.Type}) needs {expected} values for {rowCount} rows, got {array.Length}.");
            _columns[name] = array;
        }
    }

    /// <summary>Schema of the view the batch came from.</summary>
    public DataViewSchema Schema { get; }

    /// <summary>Rows in this batch.</summary>
    public int RowCount { get; }

    /// <summary>Names of the columns present in this batch.</summary>
    public IEnumerable<string> ColumnNames => _columns.Keys;

    /// <summary>True when the batch carries <paramref name="name"/>.</summary>
    public bool Has(string name) => _columns.ContainsKey(name);

    /// <summary>The raw array of a column.</summary>
    /// <exception cref="KeyNotFoundException">The column was not requested from the view.</exception>
    public Array GetArray(string name) => _columns.TryGetValue(name, out var a)
        ? a
        : throw new KeyNotFoundException($"Column '{name}' is not in this batch (requested columns: {string.Join(", ", _columns.Keys)}).");

    /// <summary>Float32 scalar or float tensor values (flattened).</summary>
    public float[] GetFloats(string name) => Get<float[]>(name);
    /// <summary>Float64 values.</summary>
    public double[] GetDoubles(string name) => Get<double[]>(name);
    /// <summary>Int32 values.</summary>
    public int[] GetInt32s(string name) => Get<int[]>(name);
    /// <summary>Int64 values.</summary>
    public long[] GetInt64s(string name) => Get<long[]>(name);
    /// <summary>Boolean values.</summary>
    public bool[] GetBooleans(string name) => Get<bool[]>(name);
    /// <summary>Text values.</summary>
    public string[] GetTexts(string name) => Get<string[]>(name);
    /// <summary>Image references.</summary>
    public SlideReference[] GetImages(string name) => Get<SlideReference[]>(name);

    /// <summary>Row <paramref name="row"/> of a tensor column.</summary>
    public ReadOnlySpan<float> GetTensorRow(string name, int row)
    {
        int size = ColumnTypes.SizeOf(Schema.Get(name).Type);
        return GetFloats(name).AsSpan(row * size, size);
    }

    /// <summary>Numeric column as doubles whatever its scalar kind (for metrics and coordinates).</summary>
    public double[] GetNumbersAsDoubles(string name) => GetArray(name) switch
    {
        double[] d => d,
        float[] f => Array.ConvertAll(f, x => (double)x),
        int[] i => Array.ConvertAll(i, x => (double)x),
        long[] l => Array.ConvertAll(l, x => (double)x),
        var a => throw new InvalidOperationException($"Column '{name}' ({a.GetType().Name}) is not numeric."),
    };

    private T Get<T>(string name) where T : class
    {
        var array = GetArray(name);
        return array as T ?? throw new InvalidOperationException(
            $"Column '{name}' is {Schema.Get(name).Type}; it cannot be read as {typeof(T).Name}.");
    }
}
