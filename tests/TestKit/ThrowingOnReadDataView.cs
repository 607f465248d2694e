using MlNetStem.Data;

namespace MlNetStem.TestKit;

/// <summary>A view with a schema whose data must never be read (proves schema checks come first).</summary>
public sealed class ThrowingOnReadDataView(DataViewSchema schema) : IDataView
{
    public DataViewSchema Schema { get; } = schema;
    public long? RowCount => null;
    public IEnumerable<DataBatch> ReadBatches(IReadOnlyCollection<string> columns, int batchSize = 256) =>
        throw new InvalidOperationException("Data was read before the schema was validated.");
}
