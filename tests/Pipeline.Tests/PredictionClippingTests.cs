using MlNetStem.Data;
using MlNetStem.Host;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>What <c>predict</c> clips at 0 before writing (prediction, mean, interval bounds) and what it leaves (std, observed).</summary>
public class PredictionClippingTests
{
    private static InMemoryDataView Scored()
    {
        string[] names = ["Score", "ScoreMean", "ScoreStd", "ScoreLower80", "ScoreUpper80", "Expression"];
        return new InMemoryDataView(names.Select(n => SchemaColumns.Create(n, ColumnTypes.FloatTensor(2))), 2,
            names.ToDictionary(n => n, n => (Array)new float[] { -0.5f, 1.5f, 2f, -3f }));
    }

    [Fact]
    public void ClipAtZero_ClipsPredictionMeanAndBounds_NotStdOrObserved()
    {
        var clipped = PredictionClipping.ClipAtZero(Scored(), keepRaw: false);
        foreach (string name in new[] { "Score", "ScoreMean", "ScoreLower80", "ScoreUpper80" })
            Assert.Equal([0f, 1.5f, 2f, 0f], (float[])clipped.GetColumnArray(name));
        foreach (string name in new[] { "ScoreStd", "Expression" })
            Assert.Equal([-0.5f, 1.5f, 2f, -3f], (float[])clipped.GetColumnArray(name));
        Assert.Null(clipped.Schema.Find(PredictionClipping.RawColumn));
    }

    [Fact]
    public void ClipAtZero_KeepRaw_KeepsTheUnclippedPrediction_AndLeavesTheInputUnchanged()
    {
        var scored = Scored();
        var clipped = PredictionClipping.ClipAtZero(scored, keepRaw: true);
        Assert.Equal([-0.5f, 1.5f, 2f, -3f], (float[])clipped.GetColumnArray(PredictionClipping.RawColumn));
        Assert.Equal([0f, 1.5f, 2f, 0f], (float[])clipped.GetColumnArray("Score"));
        Assert.Equal([-0.5f, 1.5f, 2f, -3f], (float[])scored.GetColumnArray("Score"));
    }
}
