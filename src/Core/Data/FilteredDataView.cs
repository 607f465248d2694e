namespace MlNetStem.Data;

/// <summary>Keeps the rows for which a batch-level predicate says true; lazy, schema unchanged.</summary>
public sealed class FilteredDataView : IDataView
{
    private readonly IDataView _source;
    private readonly string[] _dependencies;
    private readonly Func<DataBatch, bool[]> _keep;

    /// <summary>Creates the view.</summary>
    /// <param name="source">Input view.</param>
    /// <param name="dependencies">Columns the predicate reads.</param>
    /// <param name="keep">Returns, for each row of a batch, whether to keep it.</param>
    public FilteredDataView(IDataView source, IReadOnlyCollection<string> dependencies, Func<DataBatch, bool[]> keep)
    {
        ArgumentNullException.ThrowIfNull(source);
        foreach (var d in dependencies) _ = source.Schema[d];
        _source = source;
        _dependencies = dependencies.ToArray();
        _keep = keep;
    }

    /// <inheritdoc />
    public DataViewSchema Schema => _source.Schema;

    /// <inheritdoc />
    public long? RowCount => null;

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(IReadOnlyCollection<string> columns, int batchSize = 256)
    {
        foreach (var name in columns) _ = Schema[name];
        var read = columns.Concat(_dependencies).Distinct(StringComparer.Ordinal).ToArray();
        return Enumerate(columns, read, batchSize);
    }

    private IEnumerable<DataBatch> Enumerate(IReadOnlyCollection<string> columns, string[] read, int batchSize)
    {
        foreach (var batch in _source.ReadBatches(read, batchSize))
        {
            bool[] keep = _keep(batch);
            int kept = keep.Count(k => k);
            if (kept == 0) continue;
            var result = new Dictionary<string, Array>(StringComparer.Ordinal);
            foreach (var c in columns)
                result[c] = kept == batch.RowCount ? batch.GetArray(c) : SelectRows(batch.GetArray(c), Schema[c].Type.Size, keep, kept);
            yield return new DataBatch(Schema, kept, result);
        }
    }

    private static Array SelectRows(Array source, int size, bool[] keep, int kept)
    {
        var result = Array.CreateInstance(source.GetType().GetElementType()!, kept * size);
        int to = 0;
        for (int r = 0; r < keep.Length; r++)
        {
            if (!keep[r]) continue;
            Array.Copy(source, (long)r * size, result, (long)to * size, size);
            to++;
        }
        return result;
    }
}
