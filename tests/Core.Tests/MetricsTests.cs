using MlNetStem.Data;
using MlNetStem.Evaluation;
using Xunit;

namespace MlNetStem.Core.Tests;

public class MetricsTests
{
    [Fact]
    public void Evaluate_MatchesHandComputedValues()
    {
        // 4 spots × 2 genes. Gene a: truth 1,2,3,4 vs pred 2,4,6,8 → r = 1. Gene b: truth 1,0,1,0 vs pred 0,1,0,1 → r = -1.
        float[] truth = [1, 1, 2, 0, 3, 1, 4, 0];
        float[] pred = [2, 0, 4, 1, 6, 0, 8, 1];
        var m = ExpressionEvaluator.Evaluate(truth, pred, 2, ["a", "b"]);
        Assert.Equal(1.0, m.GeneCorrelations["a"]!.Value, 10);
        Assert.Equal(-1.0, m.GeneCorrelations["b"]!.Value, 10);
        Assert.Equal(0.0, m.MeanPcc, 10);
        // Errors: a: 1,2,3,4 → squares 1,4,9,16; b: 1,1,1,1.
        Assert.Equal((1 + 4 + 9 + 16 + 4) / 8.0, m.Mse, 10);
        Assert.Equal((1 + 2 + 3 + 4 + 4) / 8.0, m.Mae, 10);
        // Variances (population): a true 1.25, pred 5 → (3.75²)/1.25² = 9; b: 0.25 vs 0.25 → 0. RVD = 4.5.
        Assert.Equal(4.5, m.Rvd, 10);
        Assert.Null(m.Pcc10);
    }

    [Fact]
    public void PccK_IsMeanOfTopKCorrelations()
    {
        var random = new Random(3);
        int spots = 30, genes = 60;
        var truth = new float[spots * genes];
        var pred = new float[spots * genes];
        for (int i = 0; i < truth.Length; i++)
        {
            truth[i] = (float)random.NextDouble();
            pred[i] = truth[i] * (i % genes) / genes + (float)random.NextDouble() * 0.3f;
        }
        var m = ExpressionEvaluator.Evaluate(truth, pred, genes, Enumerable.Range(0, genes).Select(g => $"g{g}").ToArray());
        var sorted = m.GeneCorrelations.Values.Select(v => v!.Value).OrderDescending().ToArray();
        Assert.Equal(sorted.Take(10).Average(), m.Pcc10!.Value, 12);
        Assert.Equal(sorted.Take(50).Average(), m.Pcc50!.Value, 12);
        Assert.Null(m.Pcc200);
        Assert.True(m.Pcc10 > m.Pcc50);
    }

    [Fact]
    public void ConstantGene_HasNoCorrelation_AndIsCounted()
    {
        float[] truth = [1, 5, 1, 6, 1, 7];
        float[] pred = [1, 5, 2, 6, 3, 8];
        var m = ExpressionEvaluator.Evaluate(truth, pred, 2, ["flat", "ok"]);
        Assert.Null(m.GeneCorrelations["flat"]);
        Assert.Equal(1, m.UndefinedCorrelationGenes);
        Assert.True(m.MeanPcc > 0.9);
    }

    [Fact]
    public void Evaluate_NaNPrediction_IsRejected() =>
        Assert.Throws<ArgumentException>(() => ExpressionEvaluator.Evaluate([1, 2], [float.NaN, 1], 1, ["a"]));

    [Fact]
    public void Metrics_JsonRoundTrip()
    {
        var m = ExpressionEvaluator.Evaluate([1, 2, 3, 4], [1, 3, 2, 5], 1, ["a"]);
        var back = ExpressionMetrics.FromJson(m.ToJson());
        Assert.Equal(m.MeanPcc, back.MeanPcc);
        Assert.Equal(m.Rvd, back.Rvd);
        Assert.Contains("\"Pcc10\": null", m.ToJson());
    }

    private static InMemoryDataView Scored(float[] truth, float[] pred, IReadOnlyList<string>? labelGenes, IReadOnlyList<string>? scoreGenes, int scoreSize = 2) => new(
        [
            SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(2), labelGenes),
            SchemaColumns.Create("Score", ColumnTypes.FloatTensor(scoreSize), scoreGenes),
        ],
        truth.Length / 2,
        new Dictionary<string, Array> { ["Expression"] = truth, ["Score"] = pred });

    [Fact]
    public void Catalog_Evaluate_ReadsTheViewAndNamesGenesFromSlotNames()
    {
        float[] truth = [1, 1, 2, 0, 3, 1, 4, 0];
        float[] pred = [2, 0, 4, 1, 6, 0, 8, 1];
        var ml = new MLContext(1);
        var m = ml.SpatialExpression().Evaluate(Scored(truth, pred, ["ERBB2", "ESR1"], ["ERBB2", "ESR1"]));
        Assert.Equal(4, m.SpotCount);
        Assert.Equal(1.0, m.GeneCorrelations["ERBB2"]!.Value, 10);
        Assert.Equal(-1.0, m.GeneCorrelations["ESR1"]!.Value, 10);
        Assert.Equal(ExpressionEvaluator.Evaluate(truth, pred, 2, ["a", "b"]).Mse, m.Mse, 12);
        // Without slot names the genes are numbered.
        Assert.Equal(["gene0", "gene1"], ml.SpatialExpression().Evaluate(Scored(truth, pred, null, null)).GeneCorrelations.Keys.Order());
    }

    [Fact]
    public void Catalog_Evaluate_MismatchedColumns_AreSchemaErrorsBeforeReading()
    {
        float[] truth = [1, 1, 2, 0];
        var ml = new MLContext(1);
        var panels = Scored(truth, [1, 2, 3, 4], ["A", "B"], ["A", "C"]);
        Assert.Contains("different gene list", Assert.Throws<SchemaMismatchException>(() =>
            ml.SpatialExpression().Evaluate(new TestKit.ThrowingOnReadDataView(panels.Schema))).Message);
        var sizes = Scored(truth, [1, 2, 3, 4, 5, 6], null, null, scoreSize: 3);
        Assert.Equal("Score", Assert.Throws<SchemaMismatchException>(() =>
            ml.SpatialExpression().Evaluate(new TestKit.ThrowingOnReadDataView(sizes.Schema))).Column);
        Assert.Equal("Truth", Assert.Throws<SchemaMismatchException>(() =>
            ml.SpatialExpression().Evaluate(panels, label: "Truth")).Column);
    }
}
