using Microsoft.ML;

namespace MlNetStem.Data;

/// <summary>
/// Keeps the rows for which a batch predicate says true (e.g. spots with any panel counts), as a
/// Microsoft.ML <see cref="IDataView"/>. The row count is unknown until read.
/// </summary>
public sealed class FilteredDataView : BatchDataView
{
    private readonly IDataView _source;
    private readonly string[] _dependencies;
    private readonly Func<DataBatch, bool[]> _keep;

    /// <summary>Creates the view.</summary>
    /// <param name="source">Input view.</param>
    /// <param name="dependencies">Columns the predicate reads.</param>
    /// <param name="keep">For each row of a batch, whether to keep it.</param>
    /// <exception cref="SchemaMismatchException">A dependency is not a column of <paramref name="source"/>.</exception>
    public FilteredDataView(IDataView source, IReadOnlyCollection<string> dependencies, Func<DataBatch, bool[]> keep)
    {
        ArgumentNullException.ThrowIfNull(source);
        foreach (var d in dependencies) _ = source.Schema.Get(d);
        _source = source;
        _dependencies = dependencies.ToArray();
        _keep = keep;
    }

    /// <inheritdoc />
    public override DataViewSchema Schema => _source.Schema;

    /// <inheritdoc />
    public override long? GetRowCount() => null;

    /// <inheritdoc />
    public override IEnumerable<DataBatch> ReadBatches(IReadOnlyCollection<string> columns, int batchSize)
    {
        foreach (var name in columns) _ = Schema.Get(name);
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
                result[c] = kept == batch.RowCount
                    ? batch.GetArray(c)
                    : SelectRows(batch.GetArray(c), ColumnTypes.ValuesPerRow(Schema[c].Type), keep, kept);
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
