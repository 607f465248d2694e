using MlNetStem.Data;
using MlNetStem.Trainers;
using MlNetStem.Trainers.Diffusion;
using MlNetStem.Transforms;
using MlNetStem.Transforms.Context;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// The point of HisDiff: a gene set by a spot's neighbourhood rather than by its own patch. On a held-out synthetic grid,
/// HisDiff (context fusion over the 9 and 49 nearest spots) recovers it; Stem, on the same embeddings, cannot. Measured:
/// RING PCC 0.858 (HisDiff) vs −0.075 (Stem), OWN 0.960 vs 0.976, both CPU presets at 200 epochs. With 2-wide embeddings
/// HisDiff only reached 0.29: its fusion has no residual from the spot and a D-wide ReLU layer, a bottleneck at tiny D.
/// </summary>
public sealed class HisDiffNeighbourhoodTests(ITestOutputHelper output)
{
    /// <summary>
    /// A side × side grid of spots 100 px apart with embeddings [f, u₁ … u₇] (uniform; the u are noise). Gene RING is the mean
    /// f of the 8 surrounding spots (not the spot's own f) plus noise; gene OWN is the spot's own f plus noise.
    /// </summary>
    internal static InMemoryDataView Grid(int side, int seed)
    {
        int n = side * side;
        var random = new Random(seed);
        var f = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        const int width = 8;
        var features = new float[n * width];
        var x = new double[n];
        var y = new double[n];
        var genes = new float[n * 2];
        for (int i = 0; i < n; i++)
        {
            features[width * i] = (float)f[i];
            for (int j = 1; j < width; j++) features[width * i + j] = (float)random.NextDouble();
            x[i] = 100.0 * (i % side);
            y[i] = 100.0 * (i / side);
        }
        for (int i = 0; i < n; i++)
        {
            var ring = Enumerable.Range(0, n).Where(j => j != i && Math.Abs(x[j] - x[i]) <= 100 && Math.Abs(y[j] - y[i]) <= 100);
            genes[2 * i] = (float)(4 * ring.Average(j => f[j]) + 0.1 * random.NextDouble());
            genes[2 * i + 1] = (float)(2 * f[i] + 0.1 * random.NextDouble());
        }
        return new InMemoryDataView([
            SchemaColumns.Create("Features", ColumnTypes.FloatTensor(width)),
            SchemaColumns.Create(SpotColumns.PixelX, ColumnTypes.Float64),
            SchemaColumns.Create(SpotColumns.PixelY, ColumnTypes.Float64),
            SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(2), ["RING", "OWN"]),
        ], n, new Dictionary<string, Array> { ["Features"] = features, [SpotColumns.PixelX] = x, [SpotColumns.PixelY] = y, ["Expression"] = genes });
    }

    [Fact]
    public void NeighbourhoodGene_IsRecoveredByHisDiff_NotByStem_OnAHeldOutGrid()
    {
        var ml = new MLContext(3);
        var stem = ml.SpatialExpression();
        var train = Grid(16, 1);
        var test = Grid(12, 2);
        var context = ml.Transforms.NeighbourContext(new NeighbourContextOptions("NeighbourContext", "Features", 9))
            .Append(ml.Transforms.NeighbourContext(new NeighbourContextOptions("GlobalContext", "Features", 49)));
        var options = StemDiffusionOptions.Cpu with { Epochs = 200 };
        var hisDiff = context.Append(stem.Trainers.HisDiff(options: StemDiffusionOptions.HisDiff with { Epochs = 200 })).Fit(train);
        var plain = stem.Trainers.StemDiffusion(options: options).Fit(train);

        double[] Pcc(ITransformer model) { var r = stem.Evaluate(model.Transform(test)).GeneCorrelations; return [r["RING"] ?? double.NaN, r["OWN"] ?? double.NaN]; }
        var withContext = Pcc(hisDiff);
        var withoutContext = Pcc(plain);
        output.WriteLine($"held-out 12×12 grid, PCC [RING, OWN]: HisDiff [{withContext[0]:0.000}, {withContext[1]:0.000}], " +
            $"Stem [{withoutContext[0]:0.000}, {withoutContext[1]:0.000}]");
        Assert.True(withContext[0] > 0.7, $"HisDiff should recover the neighbourhood gene (PCC {withContext[0]:0.000})");
        Assert.InRange(withoutContext[0], -0.35, 0.35);
        Assert.True(withContext[1] > 0.8 && withoutContext[1] > 0.8, "both see the spot's own embedding");
        (hisDiff.LastTransformer as IDisposable)?.Dispose();
        plain.Dispose();
    }
}
