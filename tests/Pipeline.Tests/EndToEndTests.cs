using System.Diagnostics;
using MlNetStem.Data;
using MlNetStem.Host;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public class EndToEndTests
{
    [Fact]
    public void BundledSample_TrainSaveLoadPredict_IsIdentical_AndBeatsChance()
    {
        var ctx = new StemContext(1);
        var train = Her2stLoader.Load(RepositoryPaths.Her2st("C2")).Data;
        var test = Her2stLoader.Load(RepositoryPaths.Her2st("C3")).Data;
        var model = StandardPipeline.Build(ctx, new PipelineSettings(Genes: 50, PatchPixels: 112)).Fit(train);
        using var folder = new TempFolder();
        ctx.Model.Save(model, train.Schema, folder.File("model.zip"));
        var loaded = ctx.Model.Load(folder.File("model.zip"), out var schema);
        Assert.Equal(train.Schema.ToString(), schema!.ToString());

        var direct = ctx.Data.Cache(model.Transform(test), "Barcode", "Expression", "Score");
        var reloaded = ctx.Data.Cache(loaded.Transform(test), "Barcode", "Expression", "Score");
        DataViewAssert.Equal(direct, reloaded);
        var metrics = ctx.Evaluation.Evaluate(direct);
        Assert.Equal(50, metrics.GeneCount);
        Assert.True(metrics.MeanPcc > 0.1, $"mean PCC {metrics.MeanPcc}");
    }

    [Fact]
    public void PredictionEngine_OneSpot_MatchesBatchPrediction()
    {
        var ctx = new StemContext(1);
        var train = Her2stLoader.Load(RepositoryPaths.Her2st("C2")).Data;
        var model = StandardPipeline.Build(ctx, new PipelineSettings(Genes: 20, PatchPixels: 64)).Fit(train);
        var first = train.ReadBatches(["PixelX", "PixelY", "Image"]).First();
        var engine = ctx.Model.CreatePredictionEngine<SpotInput, SpotPrediction>(model);
        var one = engine.Predict(new SpotInput { PixelX = first.GetDoubles("PixelX")[0], PixelY = first.GetDoubles("PixelY")[0], Image = first.GetImages("Image")[0] });
        var spotsOnly = Her2stLoader.Load(RepositoryPaths.Her2st("C2"), new Her2stLoadOptions(RequireCounts: false)).Data;
        var batch = model.Transform(spotsOnly).ReadBatches(["Score"], 1).First().GetFloats("Score");
        Assert.Equal(batch, one.Score);
    }

    public sealed class SpotInput
    {
        public double PixelX { get; set; }
        public double PixelY { get; set; }
        public SlideReference Image { get; set; } = new("", null);
    }

    public sealed class SpotPrediction
    {
        public float[] Score { get; set; } = [];
    }
}
