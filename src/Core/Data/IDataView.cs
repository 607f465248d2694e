namespace MlNetStem.Data;

/// <summary>
/// A lazy, read-only table with a fixed schema, read in batches. Only the requested columns
/// are computed, so a cursor over barcodes never decodes an image.
/// </summary>
public interface IDataView
{
    /// <summary>The columns of every row.</summary>
    DataViewSchema Schema { get; }

    /// <summary>Number of rows when known without reading (null for filtered views).</summary>
    long? RowCount { get; }

    /// <summary>
    /// Streams the rows in batches of at most <paramref name="batchSize"/> rows, computing
    /// only <paramref name="columns"/>. Each enumeration starts again from the first row.
    /// </summary>
    /// <exception cref="SchemaMismatchException">A requested column does not exist.</exception>
    IEnumerable<DataBatch> ReadBatches(IReadOnlyCollection<string> columns, int batchSize = 256);
}
