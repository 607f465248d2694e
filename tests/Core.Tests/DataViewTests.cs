using MlNetStem.Data;
using Xunit;

namespace MlNetStem.Core.Tests;

public class DataViewTests
{
    [Fact]
    public void ReadBatches_ReturnsOnlyRequestedColumns_InBatchesOfRequestedSize()
    {
        var view = TestData.Table(10);
        var batches = view.ReadBatches(["Vector"], batchSize: 4).ToList();
        Assert.Equal([4, 4, 2], batches.Select(b => b.RowCount));
        Assert.All(batches, b => Assert.False(b.Has("Id")));
        Assert.Equal([0.6f, 0.7f, 0.8f], batches[0].GetTensorRow("Vector", 2).ToArray());
        Assert.Equal(1.8f, batches[1].GetTensorRow("Vector", 2)[0]);
    }

    [Fact]
    public void ReadBatches_UnknownColumn_ThrowsNamingIt()
    {
        var error = Assert.Throws<SchemaMismatchException>(() => TestData.Table().ReadBatches(["Nope"]));
        Assert.Equal("Nope", error.Column);
    }

    [Fact]
    public void InMemoryDataView_WrongArrayLength_IsRejectedWithColumnName()
    {
        var schema = new DataViewSchema([new SchemaColumn("V", ColumnType.FloatTensor(2))]);
        var error = Assert.Throws<ArgumentException>(() =>
            new InMemoryDataView(schema, 3, new Dictionary<string, Array> { ["V"] = new float[5] }));
        Assert.Contains("'V'", error.Message);
    }

    [Fact]
    public void MappedDataView_ComputesProducedColumnOnlyWhenRequested()
    {
        int calls = 0;
        var source = TestData.Table(6);
        var view = new MappedDataView(source, [new SchemaColumn("Double", ColumnType.Float32)], ["Value"],
            () => new DelegateMapper(batch =>
            {
                calls++;
                return batch.GetFloats("Value").Select(v => v * 2).ToArray();
            }));
        Assert.Equal(3, view.ReadBatches(["Id"], 2).Count());
        Assert.Equal(0, calls);
        var doubled = view.ReadBatches(["Double"], 2).SelectMany(b => b.GetFloats("Double")).ToArray();
        Assert.Equal(3, calls);
        Assert.Equal([0f, 2, 4, 6, 8, 10], doubled);
    }

    [Fact]
    public void FilteredDataView_KeepsMatchingRowsInOrder()
    {
        var view = new FilteredDataView(TestData.Table(10), ["Value"], b => b.GetFloats("Value").Select(v => v % 3 == 0).ToArray());
        var ids = view.ReadBatches(["Id"], 4).SelectMany(b => b.GetTexts("Id")).ToArray();
        Assert.Equal(["s0", "s3", "s6", "s9"], ids);
        Assert.Null(view.RowCount);
    }

    [Fact]
    public void Shuffle_SameSeed_SamePermutation_DifferentSeed_Different()
    {
        var ctx = new StemContext(7);
        string[] Ids(IDataView v) => v.ReadBatches(["Id"]).SelectMany(b => b.GetTexts("Id")).ToArray();
        var table = TestData.Table(50);
        var a = Ids(ctx.Data.Shuffle(table, seed: 3));
        var b = Ids(ctx.Data.Shuffle(table, seed: 3));
        var c = Ids(ctx.Data.Shuffle(table, seed: 4));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(Ids(table).Order(), a.Order());
        Assert.NotEqual(Ids(table), a);
    }

    [Fact]
    public void Shuffle_KeepsRowsTogether()
    {
        var shuffled = new StemContext(1).Data.Shuffle(TestData.Table(20), seed: 5);
        foreach (var batch in shuffled.ReadBatches(["Id", "Value", "Vector"]))
            for (int r = 0; r < batch.RowCount; r++)
            {
                int i = int.Parse(batch.GetTexts("Id")[r][1..]);
                Assert.Equal(i, batch.GetFloats("Value")[r]);
                Assert.Equal(i * 3 / 10f, batch.GetTensorRow("Vector", r)[0], 5);
            }
    }

    [Fact]
    public void ClassSchema_RoundTripsObjects()
    {
        var ctx = new StemContext(1);
        var rows = new[] { new Row { Name = "a", Score = 1.5f, Values = [1, 2] }, new Row { Name = "b", Score = 2, Values = [3, 4] } };
        var view = ctx.Data.LoadFromEnumerable(rows);
        Assert.Equal(ColumnType.FloatTensor(2), view.Schema["Values"].Type);
        var back = ctx.Data.CreateEnumerable<Row>(view).ToArray();
        Assert.Equal(["a", "b"], back.Select(r => r.Name));
        Assert.Equal([3f, 4f], back[1].Values);
    }

    [Fact]
    public void ColumnType_ParsesItsOwnText()
    {
        foreach (var t in new[] { ColumnType.Float32, ColumnType.Text, ColumnType.Image, ColumnType.FloatTensor(3, 224, 224), ColumnType.FloatVectorOfUnknownSize })
            Assert.Equal(t, ColumnType.Parse(t.ToString()));
        Assert.Throws<FormatException>(() => ColumnType.Parse("Banana"));
    }

    public sealed class Row
    {
        public string Name { get; set; } = "";
        public float Score { get; set; }
        public float[] Values { get; set; } = [];
    }

    private sealed class DelegateMapper(Func<DataBatch, float[]> map) : IBatchMapper
    {
        public IReadOnlyDictionary<string, Array> Map(DataBatch input, IReadOnlyCollection<string> produce) =>
            new Dictionary<string, Array> { ["Double"] = map(input) };

        public void Dispose() { }
    }
}
