using Microsoft.ML;

namespace MlNetStem.Data;

/// <summary>
/// The lazy output of a batched row-to-row transform, as a Microsoft.ML <see cref="IDataView"/>:
/// passes source columns through and computes the produced ones a batch of rows at a time,
/// reading from the source only what the requested columns need.
/// </summary>
public sealed class MappedDataView : BatchDataView
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
    /// <param name="cursorBatchSize">Rows computed together when a row cursor reads the view.</param>
    /// <exception cref="SchemaMismatchException">A dependency is not a column of <paramref name="source"/>.</exception>
    public MappedDataView(IDataView source, IReadOnlyList<DataViewSchema.DetachedColumn> produced,
        IReadOnlyCollection<string> dependencies, Func<IBatchMapper> createMapper, int cursorBatchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(cursorBatchSize, 1);
        _source = source;
        _produced = produced.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var d in dependencies) _ = source.Schema.Get(d);
        _dependencies = dependencies.ToArray();
        _createMapper = createMapper;
        CursorBatchSize = cursorBatchSize;
        Schema = source.Schema.With(produced.ToArray());
    }

    /// <inheritdoc />
    public override DataViewSchema Schema { get; }

    /// <summary>Rows computed together when a row cursor reads the view.</summary>
    protected override int CursorBatchSize { get; }

    /// <inheritdoc />
    public override long? GetRowCount() => _source.GetRowCount();

    /// <inheritdoc />
    public override IEnumerable<DataBatch> ReadBatches(IReadOnlyCollection<string> columns, int batchSize)
    {
        foreach (var name in columns) _ = Schema.Get(name);
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
