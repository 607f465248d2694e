using MlNetStem.Data;
using MlNetStem.TestKit;
using MlNetStem.Trainers;
using MlNetStem.Transforms;
using MlNetStem.Transforms.Context;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>NeighbourContext: each spot's k nearest spots of its section, padded and masked at the edge, pooled for regressors.</summary>
public class NeighbourContextTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly MLContext Ml = new(1);

    /// <summary>Spots on a side × side grid 10 px apart; spot i's embedding is [i, 100 + i] (so it identifies the spot).</summary>
    private static InMemoryDataView Grid(int side, string[]? sections = null, int copies = 1)
    {
        int n = side * side * copies;
        var features = new float[n * 2];
        var x = new double[n];
        var y = new double[n];
        var names = new string[n];
        for (int i = 0; i < n; i++)
        {
            int cell = i % (side * side);
            x[i] = 10 * (cell % side);
            y[i] = 10 * (cell / side);
            features[2 * i] = i;
            features[2 * i + 1] = 100 + i;
            names[i] = sections?[i / (side * side)] ?? "S";
        }
        return new InMemoryDataView([
            SchemaColumns.Create("Features", ColumnTypes.FloatTensor(2)),
            SchemaColumns.Create(SpotColumns.PixelX, ColumnTypes.Float64),
            SchemaColumns.Create(SpotColumns.PixelY, ColumnTypes.Float64),
            SchemaColumns.Create(SpotColumns.Section, ColumnTypes.Text),
        ], n, new Dictionary<string, Array> { ["Features"] = features, [SpotColumns.PixelX] = x, [SpotColumns.PixelY] = y, [SpotColumns.Section] = names });
    }

    private static float[] Column(IDataView view, string name, int batch = 64) =>
        view.ReadBatches([name], batch).SelectMany(b => b.GetFloats(name)).ToArray();

    /// <summary>The spot ids of row <paramref name="r"/>'s real neighbours, nearest first.</summary>
    private static int[] Neighbours(float[] context, float[] mask, int r, int k) =>
        Enumerable.Range(0, k).Where(j => mask[r * k + j] == 1).Select(j => (int)context[(r * k + j) * 2]).ToArray();

    [Theory]
    [InlineData(ContextPooling.None)]
    [InlineData(ContextPooling.Mean)]
    [InlineData(ContextPooling.OwnAndMean)]
    public void Estimator_PassesTheWorkout(ContextPooling pooling)
    {
        var good = Grid(4);
        // Embeddings that are text, not a float vector: refused before any data is read, naming the column.
        var bad = new InMemoryDataView([
            SchemaColumns.Create("Features", ColumnTypes.Text),
            SchemaColumns.Create(SpotColumns.PixelX, ColumnTypes.Float64),
            SchemaColumns.Create(SpotColumns.PixelY, ColumnTypes.Float64),
        ], 1, new Dictionary<string, Array> { ["Features"] = new[] { "x" }, [SpotColumns.PixelX] = new[] { 0.0 }, [SpotColumns.PixelY] = new[] { 0.0 } });
        EstimatorWorkout.Run(Ml.Transforms.NeighbourContext(new NeighbourContextOptions("Context", "Features", 5, pooling, MaxDistanceMicrons: 12)),
            good, bad, "Features");
    }

    [Fact]
    public void CentreSpot_GetsItselfFirst_ThenItsEightGridNeighbours()
    {
        var data = Grid(5);
        var output = Ml.Transforms.NeighbourContext("Context", "Features", 9).Fit(data).Transform(data);
        Assert.Equal(ColumnTypes.FloatTensor(9, 2), output.Schema["Context"].Type);
        Assert.Equal(ColumnTypes.FloatTensor(9), output.Schema["ContextMask"].Type);
        var context = Column(output, "Context");
        var mask = Column(output, "ContextMask");
        int centre = 12;   // (2, 2)
        var ids = Neighbours(context, mask, centre, 9);
        Assert.Equal(12, ids[0]);
        Assert.Equal(new[] { 6, 7, 8, 11, 13, 16, 17, 18 }, ids[1..].Order());
        Assert.Equal(100 + 12, context[centre * 9 * 2 + 1]);   // the whole embedding is copied
        // The four edge-sharing neighbours (10 px) come before the four diagonal ones (14 px).
        Assert.Equal(new[] { 7, 11, 13, 17 }, ids[1..5].Order());
    }

    [Fact]
    public void EdgeSpot_BeyondTheDistanceLimit_IsPaddedWithZerosAndMasked()
    {
        var data = Grid(5);
        var options = new NeighbourContextOptions("Context", "Features", 9, MaxDistanceMicrons: 15);   // no image: 1 µm per pixel
        var output = Ml.Transforms.NeighbourContext(options).Fit(data).Transform(data);
        var context = Column(output, "Context");
        var mask = Column(output, "ContextMask");
        // Corner (0, 0): itself, (1, 0) and (0, 1) at 10 px, (1, 1) at 14.1 px; everything else is farther than 15 µm.
        Assert.Equal(new[] { 0, 1, 5, 6 }, Neighbours(context, mask, 0, 9).Order());
        Assert.Equal(new float[] { 1, 1, 1, 1, 0, 0, 0, 0, 0 }, mask[..9]);
        Assert.All(context[(4 * 2)..(9 * 2)], v => Assert.Equal(0f, v));
        // Without the limit the corner takes the 9 nearest whatever their distance, as HisDiff does.
        var unlimited = Ml.Transforms.NeighbourContext("Context", "Features", 9).Fit(data).Transform(data);
        Assert.All(Column(unlimited, "ContextMask")[..9], v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Sections_AreIndependent_AndASmallSectionIsPadded()
    {
        // Two sections with the same coordinates: a spot's neighbours come from its own section only.
        var data = Grid(3, ["A", "B"], copies: 2);
        var output = Ml.Transforms.NeighbourContext("Context", "Features", 12).Fit(data).Transform(data);
        var context = Column(output, "Context");
        var mask = Column(output, "ContextMask");
        for (int r = 0; r < 18; r++)
        {
            var ids = Neighbours(context, mask, r, 12);
            Assert.Equal(9, ids.Length);                               // 9 spots per section, 3 places padded
            Assert.All(ids, id => Assert.Equal(r / 9, id / 9));        // all from the spot's section
            Assert.Equal(r, ids[0]);
        }
    }

    [Fact]
    public void MeanPooling_AveragesTheRealNeighbours_AndBatchingDoesNotMatter()
    {
        var data = Grid(5);
        var pooled = Ml.Transforms.NeighbourContext(new NeighbourContextOptions("Mean", "Features", 9, ContextPooling.Mean, MaxDistanceMicrons: 15))
            .Fit(data).Transform(data);
        Assert.Equal(ColumnTypes.FloatTensor(2), pooled.Schema["Mean"].Type);
        Assert.Null(pooled.Schema.Find("MeanMask"));
        var mean = Column(pooled, "Mean");
        Assert.Equal((0 + 1 + 5 + 6) / 4f, mean[0], 5);
        Assert.Equal((6 + 7 + 8 + 11 + 12 + 13 + 16 + 17 + 18) / 9f, mean[12 * 2], 5);
        Assert.Equal(mean, Column(pooled, "Mean", batch: 3));

        // OwnAndMean: the spot's own embedding, then the same mean.
        var both = Column(Ml.Transforms.NeighbourContext(new NeighbourContextOptions("Both", "Features", 9, ContextPooling.OwnAndMean, MaxDistanceMicrons: 15))
            .Fit(data).Transform(data), "Both");
        Assert.Equal(new float[] { 0, 100, mean[0], mean[1] }, both[..4]);
    }

    [Fact]
    public void SavedAndLoaded_GivesTheSameContext()
    {
        var data = Grid(4);
        var model = Ml.Transforms.NeighbourContext(new NeighbourContextOptions("Context", "Features", 5, MaxDistanceMicrons: 12)).Fit(data);
        using var folder = new TempFolder();
        Ml.SpatialExpression().SaveModel(model, data.Schema, folder.File("context.zip"));
        var loaded = Ml.SpatialExpression().LoadModel(folder.File("context.zip"), out _);
        Assert.Equal(Column(model.Transform(data), "Context"), Column(loaded.Transform(data), "Context"));
        Assert.Equal(Column(model.Transform(data), "ContextMask"), Column(loaded.Transform(data), "ContextMask"));
    }

    [Fact]
    public void NeighbourhoodGene_IsRecoveredByRidgeOnlyWithPooledContext_ChainedThroughStockConcatenate()
    {
        // A gene driven by the mean of the neighbours' feature f, not by the spot's own features: the spot's own
        // features cannot predict it; its pooled 9-spot context can (the ablation HisDiff's context motivates).
        int side = 14, n = side * side;
        var random = new Random(3);
        var f = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        var noise = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        var features = new float[n * 2];
        for (int i = 0; i < n; i++) { features[2 * i] = f[i]; features[2 * i + 1] = noise[i]; }
        var x = Enumerable.Range(0, n).Select(i => 10.0 * (i % side)).ToArray();
        var y = Enumerable.Range(0, n).Select(i => 10.0 * (i / side)).ToArray();
        var gene = new float[n];
        for (int i = 0; i < n; i++)
        {
            var ring = Enumerable.Range(0, n).Where(j => j != i && Math.Abs(x[j] - x[i]) <= 10 && Math.Abs(y[j] - y[i]) <= 10);
            gene[i] = ring.Average(j => f[j]);
        }
        var data = new InMemoryDataView([
            SchemaColumns.Create("Own", ColumnTypes.FloatTensor(2)),
            SchemaColumns.Create(SpotColumns.PixelX, ColumnTypes.Float64),
            SchemaColumns.Create(SpotColumns.PixelY, ColumnTypes.Float64),
            SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(1), ["RING"]),
        ], n, new Dictionary<string, Array> { ["Own"] = features, [SpotColumns.PixelX] = x, [SpotColumns.PixelY] = y, ["Expression"] = gene });

        double Pcc(IEstimator<ITransformer> features)
        {
            var model = features.Append(Ml.SpatialExpression().Trainers.Ridge("Expression", "Features", "Score")).Fit(data);
            return Ml.SpatialExpression().Evaluate(model.Transform(data)).MeanPcc;
        }
        double own = Pcc(Ml.Transforms.CopyColumns("Features", "Own"));
        double withContext = Pcc(Ml.Transforms.NeighbourContext(new NeighbourContextOptions("Context", "Own", 9, ContextPooling.Mean, MaxDistanceMicrons: 15))
            .Append(Ml.Transforms.Concatenate("Features", "Own", "Context")));
        output.WriteLine($"ridge mean PCC on the neighbourhood gene: own features {own:0.000}, with pooled 9-spot context {withContext:0.000}");
        Assert.InRange(own, -0.3, 0.3);
        Assert.True(withContext > 0.8, $"ridge with pooled context: PCC {withContext:0.000} (own features only: {own:0.000})");
    }
}
