using MlNetStem.Data;
using MlNetStem.TestKit;
using MlNetStem.Trainers;
using MlNetStem.Trainers.Ridge;
using MlNetStem.Transforms;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public class RidgeTests
{
    private static readonly MLContext Ml = SeededContext.Create(1);

    /// <summary>y = X·W + b + small noise, 3 features → 2 outputs.</summary>
    private static InMemoryDataView Linear(int rows, int seed, double noise = 0.01)
    {
        var random = new Random(seed);
        var x = new float[rows * 3];
        var y = new float[rows * 2];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < 3; i++) x[r * 3 + i] = (float)(random.NextDouble() * 10);
            y[r * 2] = (float)(2 * x[r * 3] - x[r * 3 + 1] + 5 + noise * random.NextDouble());
            y[r * 2 + 1] = (float)(0.5 * x[r * 3 + 2] - 1 + noise * random.NextDouble());
        }
        return new InMemoryDataView(SchemaExtensions.Create([
            SchemaColumns.Create("Features", ColumnTypes.FloatTensor(3)),
            SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(2), ["G1", "G2"]),
        ]), rows, new Dictionary<string, Array> { ["Features"] = x, ["Expression"] = y });
    }

    [Fact]
    public void Ridge_PassesTheWorkout()
    {
        var bad = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(2))]), 1,
            new Dictionary<string, Array> { ["Expression"] = new float[2] });
        EstimatorWorkout.Run(Ml.SpatialExpression().Trainers.Ridge(), Linear(40, 1), bad, "Features");
    }

    [Fact]
    public void Ridge_RecoversALinearMap()
    {
        var model = Ml.SpatialExpression().Trainers.Ridge(alpha: 1e-6).Fit(Linear(200, 2));
        var test = Linear(50, 3);
        var metrics = Ml.SpatialExpression().Evaluate(model.Transform(test), "Expression", "Score");
        Assert.True(metrics.MeanPcc > 0.999, $"mean PCC {metrics.MeanPcc}");
        Assert.True(metrics.Mse < 1e-3, $"MSE {metrics.Mse}");
        Assert.Equal(["G1", "G2"], model.Genes!);
    }

    [Fact]
    public void Ridge_LargePenalty_ShrinksTowardsTheMean()
    {
        var data = Linear(100, 4);
        var strong = Ml.SpatialExpression().Trainers.Ridge(alpha: 1e9).Fit(data).Transform(data).ReadBatches(["Score"]).Single().GetFloats("Score");
        var mean0 = data.ReadBatches(["Expression"]).Single().GetFloats("Expression").Where((_, i) => i % 2 == 0).Average();
        Assert.All(strong.Where((_, i) => i % 2 == 0), v => Assert.Equal(mean0, v, 1));
    }

    [Fact]
    public void Ridge_WithPca_StillPredicts()
    {
        var model = Ml.SpatialExpression().Trainers.Ridge(pcaComponents: 2).Fit(Linear(100, 5));
        var m = Ml.SpatialExpression().Evaluate(model.Transform(Linear(50, 6)), "Expression", "Score");
        Assert.True(m.MeanPcc > 0.5);
    }

    [Fact]
    public void Ridge_NaNFeatures_AreRejected()
    {
        var data = Linear(10, 7);
        ((float[])data.GetColumnArray("Features"))[4] = float.NaN;
        Assert.Contains("NaN", Assert.Throws<InvalidDataException>(() => Ml.SpatialExpression().Trainers.Ridge().Fit(data)).Message);
    }

    [Fact]
    public void Ridge_WrongFeatureWidthAtPrediction_IsASchemaError()
    {
        var model = Ml.SpatialExpression().Trainers.Ridge().Fit(Linear(20, 8));
        var wide = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Features", ColumnTypes.FloatTensor(4))]), 1,
            new Dictionary<string, Array> { ["Features"] = new float[4] });
        var error = Assert.Throws<SchemaMismatchException>(() => model.Transform(wide));
        Assert.Contains("Vector<Single, 3>", error.Message);
        Assert.Contains("Vector<Single, 4>", error.Message);
    }

    [Fact]
    public void SyntheticTissue_RidgeOnMorphology_RecoversDrivenGenes()
    {
        using var folder = new TempFolder();
        SyntheticTissue.Write(Path.Combine(folder.Path, "train"), seed: 11, grid: 12);
        SyntheticTissue.Write(Path.Combine(folder.Path, "test"), seed: 12, grid: 10);
        var options = new Her2stLoadOptions(MicronsPerPixel: 1.0);
        var train = Her2stLoader.Load(Path.Combine(folder.Path, "train"), options).Data;
        var test = Her2stLoader.Load(Path.Combine(folder.Path, "test"), options).Data;
        var pipeline = Ml.Transforms.SelectGenes("Expression", "Counts", genes: SyntheticTissue.Genes)
            .Append(Ml.Transforms.LogNormalize("Expression"))
            .Append(Ml.Transforms.LoadPatches("Patch", "Image", sizeMicrons: 56, sizePixels: 64))
            .Append(Ml.Transforms.FeaturizeMorphology("Features", "Patch"))
            .Append(Ml.SpatialExpression().Trainers.Ridge());
        var model = pipeline.Fit(train);
        var metrics = Ml.SpatialExpression().Evaluate(DataViewMaterializer.Materialize(model.Transform(test), ["Expression", "Score"]), "Expression", "Score");
        var driven = SyntheticTissue.DrivenGenes.Select(g => metrics.GeneCorrelations[g]!.Value).ToArray();
        Assert.True(driven.Average() >= 0.8, $"driven-gene PCCs: {string.Join(", ", driven.Select(v => v.ToString("0.00")))}");
        var noise = new[] { "NOISE1", "NOISE2", "NOISE3", "NOISE4" }.Select(g => metrics.GeneCorrelations[g] ?? 0).Average();
        Assert.True(noise < 0.4, $"noise genes should not be predictable, mean PCC {noise:0.00}");
    }
}
