using System.IO.Compression;
using System.Text.Json.Nodes;
using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Core.Tests;

/// <summary>
/// MlNetStem estimators and transformers in Microsoft.ML pipelines: EstimatorChain/TransformerChain, composition with
/// stock ML.NET transforms, schema checks before data is read, and the MlNetStem model archive.
/// </summary>
public class PipelineTests
{
    [Fact]
    public void CenterEstimator_PassesTheWorkout() =>
        EstimatorWorkout.Run(new CenterEstimator("Centered", "Value"), TestData.Table(), TestData.BadTable(), "Value");

    [Fact]
    public void Chain_SchemaErrorInLastStep_IsReportedBeforeAnyDataIsRead()
    {
        var first = new CenterEstimator("Centered", "Value");
        var chain = first.Append(new CenterEstimator("Twice", "Missing"));
        Assert.IsType<EstimatorChain<CenterTransformer>>(chain);
        var error = Assert.Throws<SchemaMismatchException>(() => chain.Fit(new ThrowingOnReadDataView(TestData.Table().Schema)));
        Assert.Equal("Missing", error.Column);
        Assert.Contains("not found", error.Message);
        Assert.Equal(0, first.RowsRead);
    }

    [Fact]
    public void Chain_WithStockTransforms_SchemaErrorAfterThem_IsReportedBeforeAnyDataIsRead()
    {
        var ml = new MLContext(1);
        var first = new CenterEstimator("C", "Value");
        // Vector2 is a float vector (a copy of Vector): CenterEstimator needs a Float32 scalar.
        var chain = first
            .Append(ml.Transforms.Concatenate("Features", "C", "Vector"))
            .Append(ml.Transforms.NormalizeMeanVariance("Features"))
            .Append(ml.Transforms.CopyColumns("Vector2", "Vector"))
            .Append(new CenterEstimator("D", "Vector2"));
        var error = Assert.Throws<SchemaMismatchException>(() => chain.Fit(new ThrowingOnReadDataView(TestData.Table().Schema)));
        Assert.Equal("Vector2", error.Column);
        Assert.Contains("Vector<Single>", error.Message);
        Assert.Equal(0, first.RowsRead);

        // A stock transform's own check also comes before any read (a text column cannot be normalized).
        var stockError = Record.Exception(() => new CenterEstimator("C", "Value")
            .Append(ml.Transforms.NormalizeMeanVariance("Id"))
            .Fit(new ThrowingOnReadDataView(TestData.Table().Schema)));
        Assert.NotNull(stockError);
        Assert.DoesNotContain("Data was read", stockError!.Message);
        Assert.Contains("Id", stockError.Message);
    }

    [Fact]
    public void Chain_WrongType_MessageNamesColumnExpectedAndActual()
    {
        var error = Assert.Throws<SchemaMismatchException>(() =>
            new CenterEstimator("C", "Id").GetOutputSchema(SchemaShapes.From(TestData.Table().Schema)));
        Assert.Equal("Id", error.Column);
        Assert.Contains("'Id'", error.Message);
        Assert.Contains("Single", error.Message);
        Assert.Contains("String", error.Message);
    }

    [Fact]
    public void Chain_FitsEachStepOnThePreviousOutput()
    {
        var model = new CenterEstimator("C1", "Value").Append(new CenterEstimator("C2", "C1")).Fit(TestData.Table(5));
        Assert.IsType<TransformerChain<CenterTransformer>>(model);
        Assert.Equal(2f, Assert.IsType<CenterTransformer>(model.First()).Mean);
        Assert.Equal(0f, model.LastTransformer.Mean, 5);
        var c2 = model.Transform(TestData.Table(5)).ReadBatches(["C2"]).Single().GetFloats("C2");
        Assert.Equal([-2f, -1, 0, 1, 2], c2);
    }

    [Fact]
    public void Chain_ComposesWithStockTransforms_InOneEstimatorChain()
    {
        var ml = new MLContext(1);
        var data = TestData.Table(10);
        var chain = new CenterEstimator("C", "Value")
            .Append(ml.Transforms.Concatenate("Features", "C", "Vector"))
            .Append(ml.Transforms.NormalizeMeanVariance("Features", fixZero: false))
            .Append(ml.Transforms.CopyColumns("ValueCopy", "Value"))
            .Append(new CenterEstimator("Recentered", "ValueCopy"));
        var model = chain.Fit(data);
        Assert.Equal(5, model.Count());
        Assert.Equal(4.5f, Assert.IsType<CenterTransformer>(model.First()).Mean);
        Assert.Equal(4.5f, model.LastTransformer.Mean);

        var output = model.Transform(data);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 4), output.Schema["Features"].Type);
        Assert.Equal(["a", "b", "c"], output.Schema["Vector"].SlotNames!);
        // Our transformer after the stock ones reads them through a row cursor; ML.NET's read ours the same way.
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i - 4.5f), TestData.Floats(output, "Recentered", 3));
        var features = TestData.Floats(output, "Features", 4);
        for (int slot = 0; slot < 4; slot++)
        {
            var values = Enumerable.Range(0, 10).Select(r => (double)features[r * 4 + slot]).ToArray();
            Assert.Equal(0, values.Average(), 4);
            // ML.NET scales by the population standard deviation.
            double sd = Math.Sqrt(values.Sum(v => v * v) / values.Length);
            Assert.Equal(1, sd, 4);
            Assert.True(values.Zip(values.Skip(1)).All(p => p.Second > p.First), "normalization keeps the order of rows");
        }
    }

    [Fact]
    public void Chain_OutputsAreLazy_OnlyRequestedColumnsAreComputed_InBatchesUnderARowCursor()
    {
        var ml = new MLContext(1);
        var data = TestData.Table(10);
        var center = new CenterTransformer("C", "Value", 4.5f, cursorBatchSize: 4);
        var pipeline = new TransformerChain<ITransformer>(center, ml.Transforms.CopyColumns("CCopy", "C").Fit(center.Transform(data)));
        var output = pipeline.Transform(data);
        Assert.Equal(0, center.BatchesMapped);

        // A stock consumer reading only Id never computes C.
        Assert.Equal(10, ml.Data.CreateEnumerable<IdOnly>(output, reuseRowObject: false).Count());
        Assert.Equal(0, center.BatchesMapped);

        // Reading the copy of C row by row through ML.NET computes C four rows at a time.
        var rows = ml.Data.CreateEnumerable<CopyOnly>(output, reuseRowObject: false).Select(r => r.CCopy).ToArray();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i - 4.5f), rows);
        Assert.Equal(3, center.BatchesMapped);
        Assert.Equal(10, center.RowsMapped);
    }

    [Fact]
    public void Transform_BadInput_IsASchemaErrorBeforeAnyRead_EvenInsideATransformerChain()
    {
        var model = new CenterEstimator("C1", "Value").Append(new CenterEstimator("C2", "C1")).Fit(TestData.Table());
        var error = Assert.Throws<SchemaMismatchException>(() => model.Transform(new ThrowingOnReadDataView(TestData.BadTable().Schema)));
        Assert.Equal("Value", error.Column);
        Assert.Contains("TestCenter", error.Message);
        var missing = Assert.Throws<SchemaMismatchException>(() => model.GetOutputSchema(SchemaExtensions.Create([SchemaColumns.Create("Other", ColumnTypes.Float32)])));
        Assert.Equal("Value", missing.Column);
    }

    [Fact]
    public void PredictingObjects_GoesThroughLoadFromEnumerableAndCreateEnumerable()
    {
        var ml = new MLContext(1);
        var model = new CenterEstimator("Centered", "Value").Fit(TestData.Table(5));
        var input = ml.Data.LoadFromEnumerable([new Input { Value = 10 }, new Input { Value = -1 }]);
        var predicted = ml.Data.CreateEnumerable<Output>(model.Transform(input), reuseRowObject: false).ToArray();
        Assert.Equal([8f, -3f], predicted.Select(p => p.Centered));
    }

    [Fact]
    public void PredictingObjects_MissingInputColumn_IsASchemaMismatch()
    {
        var ml = new MLContext(1);
        var model = new CenterEstimator("Centered", "Value").Fit(TestData.Table(5));
        var input = ml.Data.LoadFromEnumerable([new WrongInput()]);
        Assert.Equal("Value", Assert.Throws<SchemaMismatchException>(() => model.Transform(input)).Column);
    }

    [Fact]
    public void BatchTransformers_AreNotRowToRowMappers_AndSayWhatToUseInstead()
    {
        var ml = new MLContext(1);
        ITransformer model = new CenterEstimator("Centered", "Value").Fit(TestData.Table(5));
        Assert.False(model.IsRowToRowMapper);
        Assert.Contains("use Transform", Assert.Throws<NotSupportedException>(() => model.GetRowToRowMapper(TestData.Table().Schema)).Message);
        using var folder = new TempFolder();
        var error = Assert.Throws<NotSupportedException>(() => ml.Model.Save(model, TestData.Table().Schema, folder.File("mlnet.zip")));
        Assert.Contains("SaveModel", error.Message);
    }

    [Fact]
    public void Archive_ChainRoundTrip_GivesIdenticalOutput()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(1);
        var model = new CenterEstimator("C1", "Value").Append(new CenterEstimator("C2", "C1")).Fit(TestData.Table());
        ml.SpatialExpression().SaveModel(model, TestData.Table().Schema, folder.File("m.zip"));
        var loaded = ml.SpatialExpression().LoadModel(folder.File("m.zip"), out var schema);
        var parts = Assert.IsAssignableFrom<IEnumerable<ITransformer>>(loaded).ToArray();
        Assert.Equal([4.5f, 0f], parts.Select(p => Assert.IsType<CenterTransformer>(p).Mean));
        DataViewAssert.Equal(model.Transform(TestData.Table()), loaded.Transform(TestData.Table()));
        Assert.Equal(["a", "b", "c"], schema!["Vector"].SlotNames!);
        Assert.Equal(TestData.Table().Schema.Describe(), schema.Describe());
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void Archive_ChainWithAStockTransform_IsRefusedNamingIt_AndWritesNothing()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(1);
        var model = new CenterEstimator("C", "Value").Append(ml.Transforms.CopyColumns("D", "C")).Fit(TestData.Table());
        var error = Assert.Throws<NotSupportedException>(() => ml.SpatialExpression().SaveModel(model, null, folder.File("m.zip")));
        Assert.Contains("ColumnCopyingTransformer", error.Message);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void Archive_NewerComponentFormat_IsRefusedWithVersionInMessage()
    {
        using var folder = new TempFolder();
        string path = folder.File("m.zip");
        ModelArchive.Save(new CenterTransformer("C", "Value", 1), null, path);
        RewriteEntry(path, "model/component.json", json => { json["MinReaderVersion"] = 7; json["Version"] = 7; });
        var error = Assert.Throws<ModelFormatException>(() => ModelArchive.Load(path, out _));
        Assert.Contains("version 7", error.Message);
        Assert.Contains("up to version 2", error.Message);
    }

    [Fact]
    public void Archive_OlderUnreadableFormat_IsRefused()
    {
        using var folder = new TempFolder();
        string path = folder.File("m.zip");
        ModelArchive.Save(new CenterTransformer("C", "Value", 1), null, path);
        RewriteEntry(path, "model/component.json", json => { json["MinReaderVersion"] = 1; json["Version"] = 1; });
        Assert.Contains("older", Assert.Throws<ModelFormatException>(() => ModelArchive.Load(path, out _)).Message);
    }

    [Fact]
    public void Archive_NewerArchiveFormat_IsRefused()
    {
        using var folder = new TempFolder();
        string path = folder.File("m.zip");
        ModelArchive.Save(new CenterTransformer("C", "Value", 1), null, path);
        RewriteEntry(path, "mlnetstem.json", json => json["FormatVersion"] = 9);
        Assert.Contains("archive format version 9", Assert.Throws<ModelFormatException>(() => ModelArchive.Load(path, out _)).Message);
    }

    [Fact]
    public void Archive_UnknownComponent_IsRefusedNamingIt()
    {
        using var folder = new TempFolder();
        string path = folder.File("m.zip");
        ModelArchive.Save(new CenterTransformer("C", "Value", 1), null, path);
        RewriteEntry(path, "model/component.json", json => json["Kind"] = "Teleporter");
        Assert.Contains("Teleporter", Assert.Throws<ModelFormatException>(() => ModelArchive.Load(path, out _)).Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.02)]
    public void Archive_Truncated_GivesModelFormatException(double keep)
    {
        using var folder = new TempFolder();
        string path = folder.File("m.zip");
        var model = new CenterEstimator("C1", "Value").Append(new CenterEstimator("C2", "C1")).Fit(TestData.Table());
        ModelArchive.Save(model, TestData.Table().Schema, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        Assert.Throws<ModelFormatException>(() => ModelArchive.Load(path, out _));
    }

    [Fact]
    public void Archive_MissingFile_GivesFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => ModelArchive.Load("/nonexistent/model.zip", out _));

    [Fact]
    public void Archive_FailedSave_LeavesPreviousFileIntactAndNoTemporaries()
    {
        using var folder = new TempFolder();
        string path = folder.File("m.zip");
        ModelArchive.Save(new CenterTransformer("C", "Value", 3), null, path);
        var before = File.ReadAllBytes(path);
        Assert.Throws<IOException>(() => ModelArchive.Save(new CenterTransformer("C", "Value", 4) { FailOnSave = true }, null, path));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(folder.Path));
        Assert.Equal(3f, Assert.IsType<CenterTransformer>(ModelArchive.Load(path, out var schema)).Mean);
        Assert.Null(schema);
    }

    public sealed class Input { public float Value { get; set; } }
    public sealed class WrongInput { public string Other { get; set; } = "x"; }
    public sealed class Output { public float Centered { get; set; } }
    public sealed class IdOnly { public string Id { get; set; } = ""; }
    public sealed class CopyOnly { public float CCopy { get; set; } }

    private static void RewriteEntry(string path, string entryName, Action<JsonObject> edit)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.GetEntry(entryName)!;
        JsonObject json;
        using (var s = entry.Open()) json = JsonNode.Parse(s)!.AsObject();
        entry.Delete();
        edit(json);
        using var w = new StreamWriter(zip.CreateEntry(entryName).Open());
        w.Write(json.ToJsonString());
    }
}
