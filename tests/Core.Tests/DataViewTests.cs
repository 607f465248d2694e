using MlNetStem.Data;
using Xunit;

namespace MlNetStem.Core.Tests;

/// <summary>MlNetStem's batch views (in memory, mapped, filtered) as Microsoft.ML <see cref="IDataView"/>s.</summary>
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
        var error = Assert.Throws<ArgumentException>(() =>
            new InMemoryDataView([SchemaColumns.Create("V", ColumnTypes.FloatTensor(2))], 3, new Dictionary<string, Array> { ["V"] = new float[5] }));
        Assert.Contains("'V'", error.Message);
    }

    [Fact]
    public void InMemoryDataView_IsAMicrosoftMlView_ReadableRowByRowWithTypedGetters()
    {
        IDataView view = TestData.Table(4);
        Assert.Equal(4, view.GetRowCount());
        Assert.Equal(["a", "b", "c"], view.Schema["Vector"].SlotNames!);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), view.Schema["Vector"].Type);
        var columns = view.Schema.ToArray();
        using var cursor = view.GetRowCursor(columns);
        var id = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Id"]);
        var value = cursor.GetGetter<float>(view.Schema["Value"]);
        var vector = cursor.GetGetter<VBuffer<float>>(view.Schema["Vector"]);
        var rowId = cursor.GetIdGetter();
        var seen = new List<(string, float, float[], ulong)>();
        while (cursor.MoveNext())
        {
            ReadOnlyMemory<char> i = default;
            float v = 0;
            VBuffer<float> vec = default;
            DataViewRowId rid = default;
            id(ref i);
            value(ref v);
            vector(ref vec);
            rowId(ref rid);
            seen.Add((i.ToString(), v, vec.DenseValues().ToArray(), rid.Low));
        }
        Assert.Equal(["s0", "s1", "s2", "s3"], seen.Select(s => s.Item1));
        Assert.Equal([0f, 1, 2, 3], seen.Select(s => s.Item2));
        Assert.Equal([0.9f, 1.0f, 1.1f], seen[3].Item3);
        Assert.Equal([0ul, 1, 2, 3], seen.Select(s => s.Item4));
        Assert.Equal(3, cursor.Position);
        Assert.False(cursor.MoveNext());
    }

    [Fact]
    public void RowCursor_RefusesInactiveColumnsAndWrongValueTypes_AndReadingBeforeMoveNext()
    {
        IDataView view = TestData.Table(3);
        using var cursor = view.GetRowCursor([view.Schema["Value"]]);
        Assert.True(cursor.IsColumnActive(view.Schema["Value"]));
        Assert.False(cursor.IsColumnActive(view.Schema["Id"]));
        Assert.Contains("'Id'", Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Id"])).Message);
        Assert.Contains("Double", Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<double>(view.Schema["Value"])).Message);
        var getter = cursor.GetGetter<float>(view.Schema["Value"]);
        float v = 0;
        Assert.Throws<InvalidOperationException>(() => getter(ref v));
        Assert.True(cursor.MoveNext());
        getter(ref v);
        Assert.Equal(0f, v);
    }

    [Fact]
    public void MappedDataView_ComputesProducedColumnOnlyWhenRequested()
    {
        int calls = 0;
        var source = TestData.Table(6);
        var view = new MappedDataView(source, [SchemaColumns.Create("Double", ColumnTypes.Float32)], ["Value"],
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
    public void MappedDataView_UnderARowCursor_IsLazyPerColumn_AndMapsWholeBatches()
    {
        int calls = 0, mappers = 0;
        var mapped = new MappedDataView(TestData.Table(10), [SchemaColumns.Create("Double", ColumnTypes.Float32)], ["Value"],
            () =>
            {
                mappers++;
                return new DelegateMapper(batch =>
                {
                    calls++;
                    return batch.GetFloats("Value").Select(v => v * 2).ToArray();
                });
            }, cursorBatchSize: 4);
        IDataView view = mapped;
        Assert.Equal(10, view.GetRowCount());

        // A cursor that does not ask for the produced column never creates a mapper.
        using (var cursor = view.GetRowCursor([view.Schema["Id"]]))
        {
            while (cursor.MoveNext()) { }
        }
        Assert.Equal(0, mappers);

        // One that does computes it 4 rows at a time (3 mapper calls for 10 rows), not row by row.
        var values = new List<float>();
        using (var cursor = view.GetRowCursor([view.Schema["Double"]]))
        {
            var getter = cursor.GetGetter<float>(view.Schema["Double"]);
            while (cursor.MoveNext())
            {
                float v = 0;
                getter(ref v);
                values.Add(v);
            }
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(i => 2f * i), values);
        Assert.Equal(1, mappers);
        Assert.Equal(3, calls);
    }

    [Fact]
    public void MappedDataView_ReplacesASameNamedSourceColumn()
    {
        var view = new MappedDataView(TestData.Table(3), [SchemaColumns.Create("Value", ColumnTypes.Float64)], ["Value"],
            () => new DelegateMapper(b => b.GetFloats("Value"), "Value", f => Array.ConvertAll(f, x => x + 0.5)));
        Assert.Single(view.Schema, c => c.Name == "Value");
        Assert.Equal(NumberDataViewType.Double, view.Schema["Value"].Type);
        Assert.Equal([0.5, 1.5, 2.5], view.ReadBatches(["Value"]).Single().GetDoubles("Value"));
    }

    [Fact]
    public void FilteredDataView_KeepsMatchingRowsInOrder()
    {
        var view = new FilteredDataView(TestData.Table(10), ["Value"], b => b.GetFloats("Value").Select(v => v % 3 == 0).ToArray());
        Assert.Equal(["s0", "s3", "s6", "s9"], TestData.Texts(view, "Id", 4));
        Assert.Null(view.GetRowCount());
        // Through a Microsoft.ML consumer too.
        var ml = new MLContext(1);
        Assert.Equal(["s0", "s3", "s6", "s9"], ml.Data.CreateEnumerable<IdRow>(view, reuseRowObject: false).Select(r => r.Id));
    }

    [Fact]
    public void Materialize_ReadsChosenColumnsInOrder_OrPermuted()
    {
        var source = new FilteredDataView(TestData.Table(6), ["Value"], b => b.GetFloats("Value").Select(v => v != 2).ToArray());
        int batches = 0;
        var all = DataViewMaterializer.Materialize(source, ["Id", "Vector"], onBatch: _ => batches++, batchSize: 2);
        Assert.Equal(5, all.Rows);
        Assert.Equal(3, batches);
        Assert.Equal(["Id", "Vector"], all.Schema.Select(c => c.Name));
        Assert.Equal(["a", "b", "c"], all.Schema["Vector"].SlotNames!);
        Assert.Equal(["s0", "s1", "s3", "s4", "s5"], (string[])all.GetColumnArray("Id"));
        var reversed = DataViewMaterializer.Materialize(source, ["Id", "Vector"], order: n => Enumerable.Range(0, n).Reverse().ToArray());
        Assert.Equal(["s5", "s4", "s3", "s1", "s0"], (string[])reversed.GetColumnArray("Id"));
        Assert.Equal([1.5f, 1.6f, 1.7f], ((float[])reversed.GetColumnArray("Vector"))[..3]);
    }

    [Fact]
    public void ShuffleRows_OverOurView_SameSeedSamePermutation_DifferentSeedDifferent()
    {
        var ml = new MLContext(7);
        var table = TestData.Table(50);
        string[] Ids(IDataView v) => TestData.Texts(v, "Id");
        var a = Ids(ml.Data.ShuffleRows(table, seed: 3));
        var b = Ids(ml.Data.ShuffleRows(table, seed: 3));
        var c = Ids(ml.Data.ShuffleRows(table, seed: 4));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(Ids(table).Order(), a.Order());
        Assert.NotEqual(Ids(table), a);
    }

    [Fact]
    public void ShuffleRows_OverOurView_KeepsRowsTogether()
    {
        var shuffled = new MLContext(1).Data.ShuffleRows(TestData.Table(20), seed: 5);
        int rows = 0;
        foreach (var batch in shuffled.ReadBatches(["Id", "Value", "Vector"], 7))
            for (int r = 0; r < batch.RowCount; r++, rows++)
            {
                int i = int.Parse(batch.GetTexts("Id")[r][1..]);
                Assert.Equal(i, batch.GetFloats("Value")[r]);
                Assert.Equal(i * 3 / 10f, batch.GetTensorRow("Vector", r)[0], 5);
            }
        Assert.Equal(20, rows);
    }

    [Fact]
    public void LoadFromEnumerable_ReadsInBatches_AndCreateEnumerable_ReadsOurViews()
    {
        var ml = new MLContext(1);
        var rows = new[] { new Row { Name = "a", Score = 1.5f, Values = [1, 2] }, new Row { Name = "b", Score = 2, Values = [3, 4] } };
        var view = ml.Data.LoadFromEnumerable(rows);
        Assert.Equal(ColumnTypes.FloatTensor(2), view.Schema["Values"].Type);
        Assert.Equal(ColumnKind.FloatTensor, view.Schema["Values"].Type.Kind);
        Assert.Equal(ColumnTypes.Float32, view.Schema["score"].Type);
        var batch = view.ReadBatches(["Name", "score", "Values"]).Single();
        Assert.Equal(["a", "b"], batch.GetTexts("Name"));
        Assert.Equal([1.5f, 2], batch.GetFloats("score"));
        Assert.Equal([1f, 2, 3, 4], batch.GetFloats("Values"));

        // Round trip through one of our views: materialized in memory, then read back into objects.
        var copy = DataViewMaterializer.Materialize(view);
        Assert.IsType<InMemoryDataView>(copy);
        var back = ml.Data.CreateEnumerable<Row>(copy, reuseRowObject: false).ToArray();
        Assert.Equal(["a", "b"], back.Select(r => r.Name));
        Assert.Equal([1.5f, 2f], back.Select(r => r.Score));
        Assert.Equal([3f, 4f], back[1].Values);
    }

    [Fact]
    public void SlideReferences_TravelThroughMicrosoftMlViews()
    {
        SlideDataViewType.EnsureRegistered();
        var ml = new MLContext(1);
        var slides = new[] { new SlideRow { Slide = new SlideReference("/data/a.tif", 0.5) }, new SlideRow { Slide = new SlideReference("/data/b.tif", null) } };
        var view = ml.Data.LoadFromEnumerable(slides);
        Assert.Equal(ColumnTypes.Image, view.Schema["Slide"].Type);
        Assert.Equal(ColumnKind.Image, view.Schema["Slide"].Type.Kind);
        var read = view.ReadBatches(["Slide"]).Single().GetImages("Slide");
        Assert.Equal(slides.Select(s => s.Slide), read);
        var inMemory = new InMemoryDataView([SchemaColumns.Create("Slide", ColumnTypes.Image)], 2, new Dictionary<string, Array> { ["Slide"] = read });
        Assert.Equal(slides.Select(s => s.Slide), ml.Data.CreateEnumerable<SlideRow>(inMemory, reuseRowObject: false).Select(r => r.Slide));
    }

    [Fact]
    public void ColumnTypes_ArchiveNamesRoundTrip()
    {
        foreach (var t in new[] { ColumnTypes.Float32, ColumnTypes.Float64, ColumnTypes.Int32, ColumnTypes.Int64, ColumnTypes.Boolean, ColumnTypes.Text,
                     ColumnTypes.Image, ColumnTypes.FloatTensor(3, 224, 224), ColumnTypes.FloatTensor(250), ColumnTypes.FloatVectorOfUnknownSize })
            Assert.Equal(t, ColumnTypes.ParseArchiveName(ColumnTypes.ArchiveName(t)!));
        Assert.Equal("Tensor<Float32>[3×224×224]", ColumnTypes.ArchiveName(ColumnTypes.FloatTensor(3, 224, 224)));
        Assert.Null(ColumnTypes.ArchiveName(NumberDataViewType.UInt16));
        Assert.Throws<FormatException>(() => ColumnTypes.ParseArchiveName("Banana"));
        Assert.Throws<FormatException>(() => ColumnTypes.ParseArchiveName("Tensor<Float32>[3×x]"));
        Assert.Throws<FormatException>(() => ColumnTypes.ParseArchiveName("Other"));
    }

    [Fact]
    public void TypeExtensions_DescribeMicrosoftMlTypes()
    {
        // The extension properties on DataViewType (VectorDataViewType's own Dimensions/Size are not what is tested).
        DataViewType tensor = ColumnTypes.FloatTensor(3, 4), unknown = ColumnTypes.FloatVectorOfUnknownSize;
        Assert.Equal(ColumnKind.FloatTensor, tensor.Kind);
        Assert.Equal(12, tensor.Size);
        Assert.Equal([3, 4], tensor.Dimensions.ToArray());
        Assert.True(tensor.IsKnownSize);
        Assert.False(unknown.IsKnownSize);
        Assert.Empty(unknown.Dimensions);
        Assert.Equal(0, unknown.Size);
        Assert.True(ColumnTypes.Float32.IsKnownSize);
        Assert.Equal(1, ColumnTypes.Text.Size);
        Assert.Equal(ColumnKind.Other, new VectorDataViewType(NumberDataViewType.Double, 2).Kind);
        Assert.True(ColumnTypes.IsSatisfiedBy(ColumnTypes.FloatVectorOfUnknownSize, ColumnTypes.FloatTensor(7)));
        Assert.False(ColumnTypes.IsSatisfiedBy(ColumnTypes.FloatTensor(6), ColumnTypes.FloatTensor(7)));
        Assert.Throws<ArgumentException>(() => ColumnTypes.FloatTensor(3, 0));
    }

    [Fact]
    public void SchemaExtensions_FindGetRequireAndWith()
    {
        var schema = TestData.Table().Schema;
        Assert.Null(schema.Find("Nope"));
        Assert.Equal("Value", schema.Get("Value").Name);
        var missing = Assert.Throws<SchemaMismatchException>(() => schema.Get("Nope", "Probe"));
        Assert.Equal("Probe: column 'Nope' not found; expected an existing column.", missing.Message);
        var wrong = Assert.Throws<SchemaMismatchException>(() => schema.Require("Id", ColumnTypes.Float32, "Probe"));
        Assert.Equal("Id", wrong.Column);
        Assert.Equal("String", wrong.Actual);
        Assert.Throws<SchemaMismatchException>(() => schema.RequireKind("Vector", "Probe", ColumnKind.Text));
        Assert.Equal("Vector", schema.RequireKind("Vector", "Probe", ColumnKind.FloatTensor).Name);

        var replaced = schema.With(SchemaColumns.Create("Value", ColumnTypes.Float64), SchemaColumns.Create("New", ColumnTypes.Int32));
        Assert.Equal(["Id", "Vector", "Value", "New"], replaced.Visible().Select(c => c.Name));
        Assert.Equal(ColumnTypes.Float64, replaced["Value"].Type);
        Assert.Equal(["a", "b", "c"], replaced["Vector"].SlotNames!);
        Assert.Equal("Id: String, Vector: Vector<Single, 3>, Value: Double, New: Int32", replaced.Describe());
        Assert.Throws<ArgumentException>(() => SchemaColumns.Create("V", ColumnTypes.FloatTensor(2), ["only one"]));
    }

    public sealed class Row
    {
        public string Name { get; set; } = "";

        [ColumnName("score")]
        public float Score { get; set; }

        [VectorType(2)]
        public float[] Values { get; set; } = [];
    }

    public sealed class IdRow
    {
        public string Id { get; set; } = "";
    }

    public sealed class SlideRow
    {
        public SlideReference Slide { get; set; } = new("", null);
    }

    private sealed class DelegateMapper(Func<DataBatch, float[]> map, string name = "Double", Func<float[], Array>? convert = null) : IBatchMapper
    {
        public IReadOnlyDictionary<string, Array> Map(DataBatch input, IReadOnlyCollection<string> produce) =>
            new Dictionary<string, Array> { [name] = convert is null ? map(input) : convert(map(input)) };

        public void Dispose() { }
    }
}
