namespace MlNetStem.Data;

/// <summary>
/// Base of MlNetStem's Microsoft.ML data views: a view computes or reads whole batches of rows
/// (<see cref="ReadBatches"/>), and its row cursor serves rows out of those batches, so batched work
/// (decoding patches, featurizing, sampling) stays batched under any Microsoft.ML consumer.
/// </summary>
public abstract class BatchDataView : IDataView, IBatchSource
{
    /// <inheritdoc />
    public abstract DataViewSchema Schema { get; }

    /// <summary>Rows read together when a Microsoft.ML row cursor reads the view.</summary>
    protected virtual int CursorBatchSize => 256;

    /// <inheritdoc />
    public bool CanShuffle => false;

    /// <inheritdoc />
    public abstract long? GetRowCount();

    /// <summary>
    /// Streams the rows in batches of at most <paramref name="batchSize"/> rows, computing only
    /// <paramref name="columns"/>. Each enumeration starts again from the first row.
    /// </summary>
    /// <exception cref="SchemaMismatchException">A requested column does not exist.</exception>
    public abstract IEnumerable<DataBatch> ReadBatches(IReadOnlyCollection<string> columns, int batchSize);

    /// <inheritdoc />
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var active = columnsNeeded.Where(c => !c.IsHidden).ToArray();
        return new BatchRowCursor(Schema, active, ReadBatches(active.Select(c => c.Name).ToArray(), CursorBatchSize));
    }

    /// <inheritdoc />
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}
