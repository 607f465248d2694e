using System.Globalization;
using FluentAssertions;
using MlNetStem.Data;
using MlNetStem.TestKit;
using MlNetStem.Trainers.Diffusion;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.Diffusion.Tests;

/// <summary>
/// The Stem trainer persists through ML.NET's <c>ml.Model.Save</c>/<c>Load</c> as a stock OnnxTransformer over the exported
/// sampler, with the same output columns (mean, std, draws, intervals). The graph computes its own seeded noise (not the
/// in-process generator's), so values agree with in-process prediction statistically, and repeat exactly read after read;
/// the interval columns are checked exactly against the draws they come from.
/// </summary>
public class MLNetModelSaveTests(ITestOutputHelper output)
{
    [Fact]
    public void Stem_SavedWithMLNet_LoadsWithEveryOutputColumn_AndAgreesWithInProcessPrediction()
    {
        var train = DiffusionData.Synthetic(400, 2);
        var test = DiffusionData.Synthetic(120, 3);
        using var model = new StemDiffusionEstimator(StemDiffusionTests.Tiny(5) with
        {
            Denoiser = DenoiserKind.ResidualMlp, Epochs = 60, BatchSize = 32, LearningRate = 3e-3, Draws = 16, Steps = 10, OutputDraws = true,
        }).Fit(train);
        var inProcess = model.Transform(test);
        using var folder = new TempFolder();
        new MLContext(1).Model.Save(model, train.Schema, folder.File("stem.zip"));
        var fresh = new MLContext(2);
        var loaded = fresh.Model.Load(folder.File("stem.zip"), out _).Transform(test);

        string[] columns = ["Score", "ScoreStd", "ScoreDraws", "ScoreLower", "ScoreUpper", "ScoreLower80", "ScoreUpper80", "ScoreLower90", "ScoreUpper90"];
        // OnnxTransformer keeps ONNX's batch axis as a leading 1 (Vector<Single, 1, 8>): same values per row.
        foreach (var c in columns)
            Assert.Equal(((VectorDataViewType)inProcess.Schema[c].Type).Size, ((VectorDataViewType)loaded.Schema[c].Type).Size);

        int genes = 8, spots = 120, draws = 16;
        // The stock model's noise is seeded per spot in the graph: every read, by any cursor, gives the same draws.
        var read = Read(loaded, "Score", "ScoreStd", "ScoreDraws", "ScoreLower", "ScoreLower80", "ScoreUpper90");
        Assert.Equal(read["Score"], Read(loaded, "Score")["Score"]);
        var mean = DiffusionData.Column(inProcess, "Score");
        var loadedMean = read["Score"];
        var pcc = Enumerable.Range(0, DiffusionData.DrivenGenes).Select(j => Pearson(mean, loadedMean, j, genes)).ToArray();
        double stdRatio = read["ScoreStd"].Average() / DiffusionData.Column(inProcess, "ScoreStd").Average();
        output.WriteLine($"Stem in-process vs ml.Model.Load: per-gene PCC of the means (driven genes) " +
            $"[{string.Join(", ", pcc.Select(p => p.ToString("0.000", CultureInfo.InvariantCulture)))}], mean std ratio {stdRatio:0.000}");
        pcc.Should().OnlyContain(p => p >= 0.9, "the loaded sampler draws from the same model (per-gene PCC of the means)");
        stdRatio.Should().BeInRange(0.8, 1.25);

        // The interval columns are the draws' quantiles (NumPy's linear interpolation), computed in the ONNX graph.
        var allDraws = read["ScoreDraws"];
        var lower = read["ScoreLower80"];
        var upper = read["ScoreUpper90"];
        Assert.Equal(lower, read["ScoreLower"]);
        var column = new double[draws];
        for (int r = 0; r < spots; r++)
            for (int j = 0; j < genes; j++)
            {
                for (int i = 0; i < draws; i++) column[i] = allDraws[(r * draws + i) * genes + j];
                Array.Sort(column);
                Assert.Equal(StemDiffusionTransformer.Quantile(column, 0.1), lower[r * genes + j], 4);
                Assert.Equal(StemDiffusionTransformer.Quantile(column, 0.95), upper[r * genes + j], 4);
            }
    }

    private static Dictionary<string, float[]> Read(IDataView data, params string[] columns)
    {
        var values = columns.ToDictionary(c => c, _ => new List<float>());
        using var cursor = data.GetRowCursor(columns.Select(c => data.Schema[c]));
        var getters = columns.Select(c => cursor.GetGetter<VBuffer<float>>(data.Schema[c])).ToArray();
        VBuffer<float> row = default;
        while (cursor.MoveNext())
            for (int i = 0; i < columns.Length; i++)
            {
                getters[i](ref row);
                values[columns[i]].AddRange(row.DenseValues());
            }
        return values.ToDictionary(p => p.Key, p => p.Value.ToArray());
    }

    private static double Pearson(float[] a, float[] b, int gene, int genes)
    {
        var x = a.Where((_, i) => i % genes == gene).Select(v => (double)v).ToArray();
        var y = b.Where((_, i) => i % genes == gene).Select(v => (double)v).ToArray();
        double mx = x.Average(), my = y.Average();
        double sxy = x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my));
        return sxy / Math.Sqrt(x.Sum(v => (v - mx) * (v - mx)) * y.Sum(v => (v - my) * (v - my)));
    }
}
