using MlNetStem.Onnx;
using MlNetStem.TestKit;
using MlNetStem.Trainers;
using MlNetStem.Trainers.Diffusion;
using MlNetStem.Trainers.Diffusion.Export;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.Diffusion.Tests;

/// <summary>
/// Interval calibration: a model trained on part of the training rows samples a held-out block, and each level's
/// intervals are scaled around their centre so that they cover that level of the held-out values. On new data from the
/// same distribution the calibrated intervals then cover close to nominal, whatever the raw draws' spread; the scales
/// persist with the model and are applied identically by the ONNX sampler.
/// </summary>
public sealed class IntervalCalibrationTests(ITestOutputHelper output)
{
    private static StemDiffusionOptions Options(double fraction, int draws = 16) => StemDiffusionTests.Tiny(8) with
    {
        Denoiser = DenoiserKind.ResidualMlp, Epochs = 25, LearningRate = 3e-3, Draws = draws, Steps = 8, CalibrationFraction = fraction,
    };

    [Fact]
    public void CalibratedIntervals_CoverNominally_OnNewData_WhereRawOnesDoNot()
    {
        var train = DiffusionData.Synthetic(500, 41);
        var test = DiffusionData.Synthetic(300, 42);
        // Quantiles of 6 draws are too narrow an interval: the raw intervals under-cover, and calibration has work to do.
        using var calibrated = new StemDiffusionEstimator(Options(0.25, draws: 6)).Fit(train);
        Assert.NotNull(calibrated.IntervalScales);
        var scored = calibrated.Transform(test);
        double cov80 = IntervalCoverage.Compute(scored, "Expression", "ScoreLower80", "ScoreUpper80");
        double cov90 = IntervalCoverage.Compute(scored, "Expression", "ScoreLower90", "ScoreUpper90");
        double raw80 = IntervalCoverage.Compute(scored, "Expression", "ScoreLower80", "ScoreUpper80", calibrated.IntervalScale(0.8));
        double raw90 = IntervalCoverage.Compute(scored, "Expression", "ScoreLower90", "ScoreUpper90", calibrated.IntervalScale(0.9));
        output.WriteLine($"scales 80% {calibrated.IntervalScale(0.8):0.000}, 90% {calibrated.IntervalScale(0.9):0.000}; " +
            $"coverage raw {raw80:0.000}/{raw90:0.000}, calibrated {cov80:0.000}/{cov90:0.000}");
        Assert.InRange(cov80, 0.75, 0.85);
        Assert.InRange(cov90, 0.85, 0.95);
        Assert.True(raw80 < 0.75 && raw90 < 0.85, $"raw coverage {raw80:0.000}/{raw90:0.000} was already nominal");

        // The final model is trained on every row exactly as without calibration: same mean prediction.
        using var plain = new StemDiffusionEstimator(Options(0, draws: 6)).Fit(train);
        Assert.Null(plain.IntervalScales);
        Assert.Equal(DiffusionData.Column(plain.Transform(test), "Score"), DiffusionData.Column(scored, "Score"));

        // Saved and loaded, and after a sampling change, the scales stay.
        using var folder = new TempFolder();
        var catalog = new MLContext(1).SpatialExpression();
        catalog.SaveModel(calibrated, train.Schema, folder.File("cal.zip"));
        using var loaded = Assert.IsType<StemDiffusionTransformer>(catalog.LoadModel(folder.File("cal.zip"), out _));
        Assert.Equal(calibrated.IntervalScales, loaded.IntervalScales);
        Assert.Equal(DiffusionData.Column(scored, "ScoreUpper90"), DiffusionData.Column(loaded.Transform(test), "ScoreUpper90"));
        Assert.Equal(calibrated.IntervalScale(0.8), calibrated.WithSampling(o => o with { Draws = 8 }).IntervalScale(0.8));
    }

    [Fact]
    public void OnnxSampler_ScalesItsIntervalsAroundTheDrawQuantiles_AsInProcess()
    {
        using var model = new StemDiffusionEstimator(Options(0.25)).Fit(DiffusionData.Synthetic(200, 43));
        double s80 = model.IntervalScale(0.8);
        Assert.NotEqual(1, s80);
        const int spots = 6, draws = 16, genes = 8;
        var embedding = DiffusionData.Column(DiffusionData.Synthetic(spots, 44), "Features");
        using var session = OnnxSession.FromBytes(StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(IntervalLevels: [0.8], Seed: 5)));
        var result = session.Run(new Dictionary<string, OnnxTensor> { [StemOnnxExporter.EmbeddingInput] = OnnxTensor.Create(embedding, spots, 4) });
        var all = result[StemOnnxExporter.DrawsOutput].GetData<float>();
        var lower = result[StemOnnxExporter.LowerOutput(0.8)].GetData<float>();
        var upper = result[StemOnnxExporter.UpperOutput(0.8)].GetData<float>();
        Assert.Equal(lower, result[StemOnnxExporter.FirstLowerOutput].GetData<float>());
        Assert.Equal(upper, result[StemOnnxExporter.FirstUpperOutput].GetData<float>());
        var column = new double[draws];
        for (int r = 0; r < spots; r++)
            for (int j = 0; j < genes; j++)
            {
                for (int i = 0; i < draws; i++) column[i] = all[(r * draws + i) * genes + j];
                Array.Sort(column);
                double lo = StemDiffusionTransformer.Quantile(column, 0.1), hi = StemDiffusionTransformer.Quantile(column, 0.9);
                Assert.Equal(0.5 * (lo + hi) - s80 * 0.5 * (hi - lo), lower[r * genes + j], 3);
                Assert.Equal(0.5 * (lo + hi) + s80 * 0.5 * (hi - lo), upper[r * genes + j], 3);
            }
    }

    [Fact]
    public void BadFraction_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new StemDiffusionEstimator(Options(0.6)));
        Assert.Throws<ArgumentException>(() => new StemDiffusionEstimator(Options(-0.1)));
    }
}
