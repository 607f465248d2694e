namespace MlNetStem.Data;

/// <summary>
/// Implemented by MlNetStem's own Microsoft.ML data views: they can hand out whole batches of
/// rows, which <see cref="DataBatchReader.ReadBatches"/> prefers over a row cursor.
/// </summary>
internal interface IBatchSource
{
    /// <summary>Streams the rows in batches of at most <paramref name="batchSize"/> rows, computing only <paramref name="columns"/>.</summary>
    IEnumerable<DataBatch> ReadBatches(IReadOnlyCollection<string> columns, int batchSize);
}
