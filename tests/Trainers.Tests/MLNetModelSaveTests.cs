using FluentAssertions;
using MlNetStem.Data;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Trainers.Tests;

/// <summary>
/// Trainers persist through ML.NET's own <c>ml.Model.Save</c>/<c>Load</c> as stock OnnxTransformers: a fresh context (no
/// MlNetStem catalog used) loads the zip and reproduces the in-process predictions.
/// </summary>
public class MLNetModelSaveTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    private static (float[] Expected, float[] Loaded, ITransformer Reloaded) RoundTrip(IEstimator<ITransformer> estimator, IDataView data)
    {
        var model = estimator.Fit(data);
        var expected = MlpData.Column(model.Transform(data), "Score");
        using var folder = new TempFolder();
        string path = folder.File("model.zip");
        new MLContext(1).Model.Save(model, data.Schema, path);
        var fresh = new MLContext(2);
        var loaded = fresh.Model.Load(path, out var inputSchema);
        inputSchema.GetColumnOrNull("Features").Should().NotBeNull("the input schema is saved with the model");
        var scored = loaded.Transform(data);
        var actual = fresh.Data.CreateEnumerable<ScoreRow>(scored, reuseRowObject: false).SelectMany(r => r.Score).ToArray();
        return (expected, actual, loaded);
    }

    [Fact]
    public void Ridge_SavedWithMLNet_LoadsAsStockOnnxTransformer_AndReproducesPredictions()
    {
        var data = MlpData.Nonlinear(40, 3);
        var (expected, actual, loaded) = RoundTrip(new MLContext(1).SpatialExpression().Trainers.Ridge(alpha: 0.5), data);
        actual.Should().HaveSameCount(expected);
        float worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"ridge: max |in-process − ml.Model.Load| = {worst:G3}");
        worst.Should().BeLessThanOrEqualTo(Tolerance);
        AsChain(loaded).Should().Contain(t => t.GetType().Name == "OnnxTransformer", "ML.NET loads the trainer as its stock ONNX transformer");
    }

    [Fact]
    public void Mlp_SavedWithMLNet_ReproducesPredictions()
    {
        var data = MlpData.Nonlinear(40, 4);
        var ml = new MLContext(1);
        var (expected, actual, _) = RoundTrip(ml.SpatialExpression().Trainers.Mlp(new Mlp.MlpOptions(Epochs: 5, Seed: 3)), data);
        actual.Should().HaveSameCount(expected);
        float worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"mlp: max |in-process − ml.Model.Load| = {worst:G3}");
        worst.Should().BeLessThanOrEqualTo(Tolerance);
    }

    [Fact]
    public void Ridge_AfterStockNormalizer_WholeChainRoundTripsThroughMLNet()
    {
        var data = MlpData.Nonlinear(40, 5);
        var ml = new MLContext(1);
        var chain = ml.Transforms.NormalizeMeanVariance("Features").Append(ml.SpatialExpression().Trainers.Ridge(alpha: 0.5));
        var (expected, actual, loaded) = RoundTrip(chain, data);
        expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second)).Should().BeLessThanOrEqualTo(Tolerance);
        AsChain(loaded).Should().HaveCount(2, "the stock normalizer and the trainer");
    }

    [Fact]
    public void LoadedTrainer_RejectsFeaturesOfAnotherWidth()
    {
        var data = MlpData.Nonlinear(40, 6);
        var model = new MLContext(1).SpatialExpression().Trainers.Ridge(alpha: 0.5).Fit(data);
        using var folder = new TempFolder();
        new MLContext(1).Model.Save(model, data.Schema, folder.File("m.zip"));
        var loaded = new MLContext(1).Model.Load(folder.File("m.zip"), out _);
        var narrow = MlpData.FeaturesOnly(new float[10], 1);
        FluentActions.Invoking(() => loaded.Transform(narrow).Preview()).Should().Throw<Exception>();
    }

    private static List<ITransformer> AsChain(ITransformer loaded) =>
        (loaded as IEnumerable<ITransformer> ?? [loaded]).SelectMany(t => t is IEnumerable<ITransformer> inner ? inner : [t]).ToList();

    private sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }
}
