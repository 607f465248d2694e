using MlNetStem.Data;

namespace MlNetStem.TestKit;

/// <summary>A Microsoft.ML data view that fails on any read: proves a schema was validated before data was touched.</summary>
public sealed class ThrowingOnReadDataView(DataViewSchema schema) : BatchDataView
{
    public override DataViewSchema Schema { get; } = schema;
    public override long? GetRowCount() => null;
    public override IEnumerable<DataBatch> ReadBatches(IReadOnlyCollection<string> columns, int batchSize) =>
        throw new InvalidOperationException("Data was read before the schema was validated.");
}
