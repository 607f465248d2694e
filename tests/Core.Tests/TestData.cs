using MlNetStem.Data;

namespace MlNetStem.Core.Tests;

internal static class TestData
{
    /// <summary>A small table: Id (text), Value (float), Vector (3 floats with slot names).</summary>
    public static InMemoryDataView Table(int rows = 10) => new(
        [
            SchemaColumns.Create("Id", ColumnTypes.Text),
            SchemaColumns.Create("Value", ColumnTypes.Float32),
            SchemaColumns.Create("Vector", ColumnTypes.FloatTensor(3), ["a", "b", "c"]),
        ],
        rows,
        new Dictionary<string, Array>
        {
            ["Id"] = Enumerable.Range(0, rows).Select(i => $"s{i}").ToArray(),
            ["Value"] = Enumerable.Range(0, rows).Select(i => (float)i).ToArray(),
            ["Vector"] = Enumerable.Range(0, rows * 3).Select(i => (float)i / 10).ToArray(),
        });

    /// <summary>A one-column view with a text <c>Value</c> (wrong type for <see cref="CenterEstimator"/>).</summary>
    public static InMemoryDataView BadTable() => new(
        [SchemaColumns.Create("Value", ColumnTypes.Text)], 1, new Dictionary<string, Array> { ["Value"] = new[] { "x" } });

    /// <summary>Reads a float column of any Microsoft.ML view (through MlNetStem's batch reader).</summary>
    public static float[] Floats(IDataView view, string column, int batchSize = 256) =>
        view.ReadBatches([column], batchSize).SelectMany(b => b.GetFloats(column)).ToArray();

    /// <summary>Reads a text column of any Microsoft.ML view.</summary>
    public static string[] Texts(IDataView view, string column, int batchSize = 256) =>
        view.ReadBatches([column], batchSize).SelectMany(b => b.GetTexts(column)).ToArray();
}
