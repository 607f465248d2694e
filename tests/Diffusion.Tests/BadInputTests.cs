using System.IO.Compression;
using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.TestKit;
using MlNetStem.Trainers.Diffusion;
using Xunit;

namespace MlNetStem.Diffusion.Tests;

public sealed class BadInputTests
{
    private static readonly SpatialExpressionCatalog Stem = new MLContext(1).SpatialExpression();
    private static readonly Lazy<(StemDiffusionTransformer Model, InMemoryDataView Data)> Trained = new(() =>
    {
        var data = DiffusionData.Synthetic(30, 20);
        return (new StemDiffusionEstimator(StemDiffusionTests.Tiny() with { Epochs = 1 }).Fit(data), data);
    });

    [Fact]
    public void Predict_WrongEmbeddingWidth_IsASchemaError()
    {
        var error = Assert.Throws<SchemaMismatchException>(() => Trained.Value.Model.Transform(DiffusionData.FeaturesOnly(new float[10], 5)));
        Assert.Equal("Features", error.Column);
        Assert.Contains(ColumnTypes.FloatTensor(4).ToString(), error.Message);
        Assert.Contains(ColumnTypes.FloatTensor(5).ToString(), error.Message);
    }

    [Fact]
    public void Predict_DifferentGenePanel_IsAClearError()
    {
        var data = DiffusionData.Synthetic(5, 21);
        var names = DiffusionData.GeneNames(8);
        names[3] = "ERBB2";
        var renamed = new InMemoryDataView([new DataViewSchema.DetachedColumn(data.Schema["Features"]), SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(8), names)],
            5, new Dictionary<string, Array> { ["Features"] = data.GetColumnArray("Features"), ["Expression"] = data.GetColumnArray("Expression") });
        var error = Assert.Throws<SchemaMismatchException>(() => Trained.Value.Model.Transform(renamed));
        Assert.Contains("gene panel", error.Message);
        Assert.Contains("ERBB2", error.Message);
        Assert.Contains("G3", error.Message);
        var fewer = DiffusionData.Synthetic(5, 22, genes: 6);
        Assert.Contains("gene panel", Assert.Throws<SchemaMismatchException>(() => Trained.Value.Model.Transform(fewer)).Message);
    }

    [Fact]
    public void Predict_NaNFeature_IsRejected()
    {
        var view = Trained.Value.Model.Transform(DiffusionData.FeaturesOnly([0.5f, float.NaN, 1, 0], 4));
        Assert.Contains("NaN", Assert.Throws<InvalidDataException>(() => DiffusionData.Column(view, "Score")).Message);
    }

    [Fact]
    public void Fit_NaNFeatures_AreRejected()
    {
        var data = DiffusionData.Synthetic(20, 23);
        ((float[])data.GetColumnArray("Features"))[5] = float.NaN;
        var error = Assert.Throws<InvalidDataException>(() => new StemDiffusionEstimator(StemDiffusionTests.Tiny()).Fit(data));
        Assert.Contains("Features", error.Message);
    }

    [Theory]
    [InlineData("draws")]
    [InlineData("steps-high")]
    [InlineData("steps-zero")]
    [InlineData("heads")]
    [InlineData("level")]
    public void Options_OutOfRange_AreArgumentErrors(string which)
    {
        var o = StemDiffusionTests.Tiny();
        var bad = which switch
        {
            "draws" => o with { Draws = 0 },
            "steps-high" => o with { Sampler = DiffusionSampler.Ddim, Steps = 1001 },
            "steps-zero" => o with { Sampler = DiffusionSampler.RespacedDdpm, Steps = 0 },
            "heads" => o with { HiddenSize = 30, Heads = 4 },
            _ => o with { IntervalLevels = [1.2] },
        };
        Assert.Throws<ArgumentException>(() => new StemDiffusionEstimator(bad));
        Assert.Throws<ArgumentException>(() => Trained.Value.Model.WithSampling(_ => bad with { Seed = Trained.Value.Model.Options.Seed }));
    }

    [Fact]
    public void Load_TruncatedWeights_IsAModelFormatError()
    {
        using var folder = new TempFolder();
        string path = folder.File("stem.zip");
        Stem.SaveModel(Trained.Value.Model, Trained.Value.Data.Schema, path);
        Rewrite(path, "denoiser.state", bytes => bytes[..(bytes.Length / 2)]);
        Assert.Throws<ModelFormatException>(() => Stem.LoadModel(path, out _));
    }

    [Fact]
    public void Load_InconsistentConfig_IsAModelFormatError()
    {
        using var folder = new TempFolder();
        string path = folder.File("stem.zip");
        Stem.SaveModel(Trained.Value.Model, Trained.Value.Data.Schema, path);
        Rewrite(path, "stem.json", bytes => System.Text.Encoding.UTF8.GetBytes(
            System.Text.Encoding.UTF8.GetString(bytes).Replace("\"HiddenSize\": 32", "\"HiddenSize\": 48")));
        Assert.Throws<ModelFormatException>(() => Stem.LoadModel(path, out _));
        Rewrite(path, "stem.json", bytes => bytes[..20]);
        Assert.Throws<ModelFormatException>(() => Stem.LoadModel(path, out _));
    }

    [Fact]
    public void Load_CorruptZip_IsAModelFormatError()
    {
        using var folder = new TempFolder();
        string path = folder.File("stem.zip");
        Stem.SaveModel(Trained.Value.Model, Trained.Value.Data.Schema, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
        Assert.Throws<ModelFormatException>(() => Stem.LoadModel(path, out _));
    }

    private static void Rewrite(string zipPath, string entrySuffix, Func<byte[], byte[]> change)
    {
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update);
        var entry = zip.Entries.Single(e => e.Name == entrySuffix);
        byte[] bytes;
        using (var stream = entry.Open())
        using (var memory = new MemoryStream())
        {
            stream.CopyTo(memory);
            bytes = memory.ToArray();
        }
        string name = entry.FullName;
        entry.Delete();
        using var output = zip.CreateEntry(name).Open();
        output.Write(change(bytes));
    }
}
