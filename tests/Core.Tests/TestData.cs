using MlNetStem.Data;

namespace MlNetStem.Core.Tests;

internal static class TestData
{
    /// <summary>A small table: Id (text), Value (float), Vector (3 floats with slot names).</summary>
    public static InMemoryDataView Table(int rows = 10)
    {
        var schema = new DataViewSchema([
            new SchemaColumn("Id", ColumnType.Text),
            new SchemaColumn("Value", ColumnType.Float32),
            new SchemaColumn("Vector", ColumnType.FloatTensor(3), ["a", "b", "c"]),
        ]);
        return new InMemoryDataView(schema, rows, new Dictionary<string, Array>
        {
            ["Id"] = Enumerable.Range(0, rows).Select(i => $"s{i}").ToArray(),
            ["Value"] = Enumerable.Range(0, rows).Select(i => (float)i).ToArray(),
            ["Vector"] = Enumerable.Range(0, rows * 3).Select(i => (float)i / 10).ToArray(),
        });
    }
}
