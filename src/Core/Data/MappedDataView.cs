namespace MlNetStem.Data;

/// <summary>
/// The lazy output of a row-to-row transform: passes source columns through and computes
/// the produced ones batch by batch, reading from the source only what is needed.
/// </summary>
public sealed class MappedDataView : IDataView
{
    private readonly IDataView _source;
    private readonly HashSet<string> _produced;
    private readonly string[] _dependencies;
    private readonly Func<IBatchMapper> _createMapper;

    /// <summary>Creates the view.</summary>
    /// <param name="source">Input view.</param>
    /// <param name="produced">Columns this transform computes (they replace same-named input columns).</param>
    /// <param name="dependencies">Source columns needed to compute any produced column.</param>
    /// <param name="createMapper">Makes the per-enumeration mapper.</param>
    public MappedDataView(IDataView source, IReadOnlyList<SchemaColumn> produced,
        IReadOnlyCollection<string> dependencies, Func<IBatchMapper> createMapper)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _produced = produced.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var d in dependencies) _ = source.Schema[d];
        _dependencies = dependencies.ToArray();
        _createMapper = createMapper;
        Schema = source.Schema.With(produced.ToArray());
    }

    /// <inheritdoc />
    public DataViewSchema Schema { get; }

    /// <inheritdoc />
    public long? RowCount => _source.RowCount;

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(IReadOnlyCollection<string> columns, int batchSize = 256)
    {
        foreach (var name in columns) _ = Schema[name];
        var produce = columns.Where(_produced.Contains).ToArray();
        var passThrough = columns.Where(c => !_produced.Contains(c));
        var fromSource = produce.Length == 0
            ? passThrough.ToArray()
            : passThrough.Concat(_dependencies).Distinct(StringComparer.Ordinal).ToArray();
        return Enumerate(columns, produce, fromSource, batchSize);
    }

    private IEnumerable<DataBatch> Enumerate(IReadOnlyCollection<string> columns, string[] produce,
        string[] fromSource, int batchSize)
    {
        using var mapper = produce.Length == 0 ? null : _createMapper();
        foreach (var input in _source.ReadBatches(fromSource, batchSize))
        {
            var result = new Dictionary<string, Array>(StringComparer.Ordinal);
            foreach (var c in columns)
                if (!_produced.Contains(c)) result[c] = input.GetArray(c);
            if (mapper is not null)
                foreach (var (name, array) in mapper.Map(input, produce))
                    result[name] = array;
            yield return new DataBatch(Schema, input.RowCount, result);
        }
    }
}
