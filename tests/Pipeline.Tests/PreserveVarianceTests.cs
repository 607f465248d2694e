using MlNetStem.Data;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public sealed class PreserveVarianceTests
{
    private static readonly MLContext Ml = SeededContext.Create(1);

    private static InMemoryDataView Predictions(float[] score, float[] spread, int genes) =>
        new(SchemaExtensions.Create([SchemaColumns.Create("Score", ColumnTypes.FloatTensor(genes), ["A", "B"]), SchemaColumns.Create("ScoreStd", ColumnTypes.FloatTensor(genes))]),
            score.Length / genes, new Dictionary<string, Array> { ["Score"] = score, ["ScoreStd"] = spread });

    [Fact]
    public void Stretch_MakesTheVarianceTheDrawsTotal_AndKeepsCorrelations()
    {
        // Gene A: means 1, 2, 3, 4 (variance 1.25) with spread 1 → total 2.25; gene B: constant mean → left alone.
        var data = Predictions([1, 5, 2, 5, 3, 5, 4, 5], [1, 0.5f, 1, 0.5f, 1, 0.5f, 1, 0.5f], 2);
        var model = Ml.Transforms.PreserveVariance().Fit(data);
        var output = model.Transform(data).ReadBatches(["ScorePreserved"]).Single().GetFloats("ScorePreserved");
        var a = new[] { output[0], output[2], output[4], output[6] };
        double mean = a.Average(), variance = a.Average(v => (v - mean) * (v - mean));
        Assert.Equal(2.5, mean, 5);
        Assert.Equal(2.25, variance, 4);
        Assert.Equal((float)Math.Sqrt(2.25 / 1.25), model.Factors[0], 5);
        Assert.Equal(1f, model.Factors[1]);
        Assert.All(new[] { output[1], output[3], output[5], output[7] }, v => Assert.Equal(5f, v));
        Assert.True(a[0] < a[1] && a[1] < a[2] && a[2] < a[3], "the stretch must keep the order (and so the correlation)");
    }

    [Fact]
    public void PassesTheWorkout_AndRejectsBadPredictions()
    {
        var good = Predictions([1, 2, 3, 4, 2, 1], [0.1f, 0.2f, 0.3f, 0.1f, 0.2f, 0.3f], 2);
        var noSpread = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Score", ColumnTypes.FloatTensor(2))]), 1,
            new Dictionary<string, Array> { ["Score"] = new float[2] });
        EstimatorWorkout.Run(Ml.Transforms.PreserveVariance(), good, noSpread, "ScoreStd");

        var nan = Assert.Throws<InvalidDataException>(() => Ml.Transforms.PreserveVariance().Fit(Predictions([1, float.NaN, 3, 4], [0, 0, 0, 0], 2)));
        Assert.Contains("spot 0", nan.Message);
        Assert.Throws<InvalidDataException>(() => Ml.Transforms.PreserveVariance().Fit(Predictions([1, 2], [0.1f, -1], 2)));
        Assert.Throws<InvalidDataException>(() => Ml.Transforms.PreserveVariance().Fit(Predictions([1, 2], [0.1f, 0.1f], 2)));
        var mismatch = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Score", ColumnTypes.FloatTensor(2)), SchemaColumns.Create("ScoreStd", ColumnTypes.FloatTensor(3))]), 1,
            new Dictionary<string, Array> { ["Score"] = new float[2], ["ScoreStd"] = new float[3] });
        var e = Assert.Throws<SchemaMismatchException>(() => Ml.Transforms.PreserveVariance().Fit(mismatch));
        Assert.Equal("ScoreStd", e.Column);
    }
}
