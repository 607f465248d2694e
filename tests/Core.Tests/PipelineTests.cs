using System.IO.Compression;
using System.Text.Json.Nodes;
using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Core.Tests;

public class PipelineTests
{
    private static InMemoryDataView BadTable() => new(
        new DataViewSchema([new SchemaColumn("Value", ColumnType.Text)]), 1,
        new Dictionary<string, Array> { ["Value"] = new[] { "x" } });

    [Fact]
    public void CenterEstimator_PassesTheWorkout() =>
        EstimatorWorkout.Run(new CenterEstimator("Centered", "Value"), TestData.Table(), BadTable(), "Value");

    [Fact]
    public void Chain_SchemaErrorInLastStep_IsReportedBeforeAnyDataIsRead()
    {
        var chain = new CenterEstimator("Centered", "Value").Append(new CenterEstimator("Twice", "Missing"));
        var error = Assert.Throws<SchemaMismatchException>(() => chain.Fit(new ThrowingOnReadDataView(TestData.Table().Schema)));
        Assert.Equal("Missing", error.Column);
        Assert.Contains("not found", error.Message);
    }

    [Fact]
    public void Chain_WrongType_MessageNamesColumnExpectedAndActual()
    {
        var error = Assert.Throws<SchemaMismatchException>(() =>
            new CenterEstimator("C", "Id").GetOutputSchema(SchemaShape.From(TestData.Table().Schema)));
        Assert.Contains("'Id'", error.Message);
        Assert.Contains("Float32", error.Message);
        Assert.Contains("Text", error.Message);
    }

    [Fact]
    public void Chain_FitsEachStepOnThePreviousOutput()
    {
        var model = new CenterEstimator("C1", "Value").Append(new CenterEstimator("C2", "C1")).Fit(TestData.Table(5));
        Assert.Equal(2f, model.First().As<CenterTransformer>().Mean);
        Assert.Equal(0f, model.LastTransformer.Mean, 5);
        var c2 = model.Transform(TestData.Table(5)).ReadBatches(["C2"]).Single().GetFloats("C2");
        Assert.Equal([-2f, -1, 0, 1, 2], c2);
    }

    [Fact]
    public void Archive_ChainRoundTrip_GivesIdenticalOutput()
    {
        using var folder = new TempFolder();
        var ctx = new StemContext(1);
        var model = new CenterEstimator("C1", "Value").Append(new CenterEstimator("C2", "C1")).Fit(TestData.Table());
        ctx.Model.Save(model, TestData.Table().Schema, folder.File("m.zip"));
        var loaded = ctx.Model.Load(folder.File("m.zip"), out var schema);
        DataViewAssert.Equal(model.Transform(TestData.Table()), loaded.Transform(TestData.Table()));
        Assert.Equal(["a", "b", "c"], schema!["Vector"].SlotNames!);
        Assert.Single(Directory.GetFiles(folder.Path));
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
        Assert.Equal(3f, ((CenterTransformer)ModelArchive.Load(path, out _)).Mean);
    }

    [Fact]
    public void PredictionEngine_PredictsOneObject()
    {
        var ctx = new StemContext(1);
        var model = new CenterEstimator("Centered", "Value").Fit(TestData.Table(5));
        var engine = ctx.Model.CreatePredictionEngine<Input, Output>(model);
        Assert.Equal(8f, engine.Predict(new Input { Value = 10 }).Centered);
    }

    [Fact]
    public void PredictionEngine_MissingInputColumn_ThrowsSchemaMismatch()
    {
        var model = new CenterEstimator("Centered", "Value").Fit(TestData.Table(5));
        var engine = new StemContext(1).Model.CreatePredictionEngine<WrongInput, Output>(model);
        Assert.Equal("Value", Assert.Throws<SchemaMismatchException>(() => engine.Predict(new WrongInput())).Column);
    }

    public sealed class Input { public float Value { get; set; } }
    public sealed class WrongInput { public string Other { get; set; } = "x"; }
    public sealed class Output { public float Centered { get; set; } }

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

internal static class TransformerCast
{
    public static T As<T>(this ITransformer t) where T : class, ITransformer => (T)t;
}
