using System.Diagnostics;
using System.Globalization;
using MlNetStem.Data;
using MlNetStem.Evaluation;
using MlNetStem.TestKit;
using MlNetStem.Trainers;
using MlNetStem.Trainers.Diffusion;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.Diffusion.Tests;

public sealed class StemDiffusionTests(ITestOutputHelper output)
{
    private static readonly SpatialExpressionCatalog Stem = new MLContext(1).SpatialExpression();

    /// <summary>Tiny and fast: one block of width 32, few epochs, few draws, a 5-step DPM-Solver++.</summary>
    internal static StemDiffusionOptions Tiny(int seed = 3) => new(Depth: 1, HiddenSize: 32, Heads: 2, Epochs: 3, BatchSize: 32,
        Draws: 4, Sampler: DiffusionSampler.DpmSolver2M, Steps: 5, Seed: seed);

    private static StemDiffusionTransformer Fit(StemDiffusionOptions options, IDataView data, IProgressReporter? progress = null) =>
        new StemDiffusionEstimator(options, progress).Fit(data);

    [Fact]
    public void StemDiffusion_PassesTheWorkout()
    {
        var bad = new InMemoryDataView([SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(8))], 1,
            new Dictionary<string, Array> { ["Expression"] = new float[8] });
        EstimatorWorkout.Run(Stem.Trainers.StemDiffusion(options: Tiny()), DiffusionData.Synthetic(40, 1), bad, "Features");
    }

    [Fact]
    public void StemDiffusion_InAnEstimatorChainWithStockTransforms_IsCheckedFirst_AndServesMicrosoftMlCursors()
    {
        var ml = new MLContext(4);
        var data = DiffusionData.Synthetic(40, 14);
        var broken = ml.Transforms.NormalizeMeanVariance("Normalized", "Features")
            .Append(ml.SpatialExpression().Trainers.StemDiffusion(featureColumn: "Normalised", options: Tiny() with { Epochs = 1 }));
        Assert.Equal("Normalised", Assert.Throws<SchemaMismatchException>(() => broken.Fit(new TestKit.ThrowingOnReadDataView(data.Schema))).Column);

        var pipeline = ml.Transforms.NormalizeMeanVariance("Normalized", "Features")
            .Append(ml.SpatialExpression().Trainers.StemDiffusion(featureColumn: "Normalized", options: Tiny() with { Epochs = 1, PredictionBatchSpots = 16, Workers = 1 }))
            .Append(ml.Transforms.CopyColumns("Copy", "Score"));
        var model = pipeline.Fit(data);
        using var stem = Assert.IsType<StemDiffusionTransformer>(model.ElementAt(1));
        var scored = model.Transform(data);
        Assert.Equal(DiffusionData.GeneNames(8), scored.Schema["Copy"].SlotNames!);
        // The copy is read row by row through ML.NET; the sampler still works a batch of spots at a time (draws per spot are
        // seeded per spot, so a different batching changes nothing but float rounding).
        var rows = ml.Data.CreateEnumerable<ScoreRow>(scored, reuseRowObject: false).ToArray();
        Assert.Equal(40, rows.Length);
        var direct = DiffusionData.Column(scored, "Score", 16);
        var viaCursor = rows.SelectMany(r => r.Copy).ToArray();
        Assert.All(direct.Zip(viaCursor), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-3, $"{p.First} vs {p.Second}"));
        var directStd = DiffusionData.Column(scored, "ScoreStd", 16);
        var stdViaCursor = rows.SelectMany(r => r.ScoreStd).ToArray();
        Assert.All(directStd.Zip(stdViaCursor), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-3, $"{p.First} vs {p.Second}"));
        Assert.True(stdViaCursor.Max() > 0.01, "the draws should differ");
    }

    public sealed class ScoreRow
    {
        [VectorType(8)]
        public float[] Copy { get; set; } = [];

        [VectorType(8)]
        public float[] ScoreStd { get; set; } = [];
    }

    [Theory]
    [InlineData(DenoiserKind.Dit)]
    [InlineData(DenoiserKind.ResidualMlp)]
    public void Fit_LossDecreases_AndMeanPredictionRecoversDrivenGenes(DenoiserKind denoiser)
    {
        var train = DiffusionData.Synthetic(400, 2);
        var test = DiffusionData.Synthetic(150, 3);
        var progress = new RecordingProgress();
        var watch = Stopwatch.StartNew();
        using var model = Fit(Tiny(5) with { Denoiser = denoiser, Epochs = 60, BatchSize = 32, LearningRate = 3e-3, Draws = 8, Steps = 10 },
            train, progress);
        long trainMs = watch.ElapsedMilliseconds;
        var losses = progress.Statuses.Select(s => double.Parse(s.Split(' ')[3], CultureInfo.InvariantCulture)).ToArray();
        var scored = model.Transform(test);
        var metrics = Stem.Evaluate(scored, "Expression", "Score");
        var pcc = Enumerable.Range(0, DiffusionData.DrivenGenes).Select(j => metrics.GeneCorrelations[$"G{j}"]!.Value).ToArray();
        output.WriteLine($"{denoiser}: {model.ParameterCount} parameters, train {trainMs} ms, total {watch.ElapsedMilliseconds} ms; " +
            $"loss first {losses[0]:0.000} last {losses[^1]:0.000}; PCC driven [{string.Join(", ", pcc.Select(p => p.ToString("0.000", CultureInfo.InvariantCulture)))}], " +
            $"MSE {metrics.Mse:0.000}");
        Assert.Equal(60, losses.Length);
        Assert.True(losses[^5..].Average() < 0.8 * losses[..5].Average(), $"loss {losses[..5].Average()} → {losses[^5..].Average()}");
        Assert.All(pcc, p => Assert.True(p > 0.8, $"driven-gene PCC {p}"));
        var std = DiffusionData.Column(scored, "ScoreStd");
        Assert.All(std, s => Assert.True(s > 0));
    }

    [Fact]
    public void Fit_AugmentedViews_TrainAndPredictFromViewZero()
    {
        var train = DiffusionData.Synthetic(120, 4, views: 3);
        using var model = Fit(Tiny(), train);
        Assert.Equal(3, model.Views);
        Assert.Equal(4, model.FeatureCount);
        var fromViews = DiffusionData.Column(model.Transform(train), "Score");
        // Plain [D] vectors of view 0 predict the same as the [A, D] rows.
        var features = DiffusionData.Column(train, "Features");
        var view0 = Enumerable.Range(0, 120).SelectMany(r => features.Skip(r * 12).Take(4)).ToArray();
        Assert.Equal(fromViews, DiffusionData.Column(model.Transform(DiffusionData.FeaturesOnly(view0, 4)), "Score"));
    }

    [Fact]
    public void Predict_IsReproducible_IndependentOfBatching_AndDependsOnThePredictionSeed()
    {
        var data = DiffusionData.Synthetic(50, 6);
        using var model = Fit(Tiny() with { PredictionBatchSpots = 16 }, data);
        var a = DiffusionData.Column(model.Transform(data), "Score", 256);
        Assert.Equal(a, DiffusionData.Column(model.Transform(data), "Score", 256));
        // Other batch sizes change matrix shapes, so BLAS may round differently: equal up to float noise.
        var b = DiffusionData.Column(model.Transform(data), "Score", 7);
        Assert.All(a.Zip(b), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-3, $"{p.First} vs {p.Second}"));
        using var reseeded = model.WithSampling(o => o with { PredictionSeed = 9 });
        Assert.NotEqual(a, DiffusionData.Column(reseeded.Transform(data), "Score"));
        // WithSampling returns a copy: the model itself still samples with its own seed.
        Assert.Equal(a, DiffusionData.Column(model.Transform(data), "Score", 256));
    }

    [Fact]
    public void Predict_OutputsDrawsStdAndNestedIntervals()
    {
        var data = DiffusionData.Synthetic(30, 7);
        using var model = Fit(Tiny() with { OutputDraws = true, Draws = 10, IntervalLevels = [0.8, 0.9] }, data);
        var scored = model.Transform(data);
        Assert.Equal(ColumnTypes.FloatTensor(10, 8), scored.Schema["ScoreDraws"].Type);
        Assert.Equal(DiffusionData.GeneNames(8), scored.Schema["Score"].SlotNames!);
        var batch = scored.ReadBatches(["Score", "ScoreStd", "ScoreDraws", "ScoreLower", "ScoreUpper", "ScoreLower80", "ScoreUpper80",
            "ScoreLower90", "ScoreUpper90"]).Single();
        var mean = batch.GetFloats("Score");
        var draws = batch.GetFloats("ScoreDraws");
        for (int r = 0; r < 30; r++)
            for (int j = 0; j < 8; j++)
            {
                var column = Enumerable.Range(0, 10).Select(i => (double)draws[(r * 10 + i) * 8 + j]).ToArray();
                int at = r * 8 + j;
                Assert.True(Math.Abs(column.Average() - mean[at]) < 1e-4 * (1 + Math.Abs(mean[at])), $"mean {mean[at]} vs {column.Average()}");
                double sd = Math.Sqrt(column.Sum(v => (v - column.Average()) * (v - column.Average())) / 10);
                Assert.True(Math.Abs(sd - batch.GetFloats("ScoreStd")[at]) < 1e-4 * (1 + sd), $"std {batch.GetFloats("ScoreStd")[at]} vs {sd}");
                Assert.Equal(batch.GetFloats("ScoreLower")[at], batch.GetFloats("ScoreLower80")[at]);
                Assert.True(batch.GetFloats("ScoreLower90")[at] <= batch.GetFloats("ScoreLower80")[at]);
                Assert.True(batch.GetFloats("ScoreLower80")[at] <= batch.GetFloats("ScoreUpper80")[at]);
                Assert.True(batch.GetFloats("ScoreUpper80")[at] <= batch.GetFloats("ScoreUpper90")[at]);
                Assert.True(batch.GetFloats("ScoreLower90")[at] >= column.Min() && batch.GetFloats("ScoreUpper90")[at] <= column.Max());
            }
    }

    [Fact]
    public void SaveLoad_ReproducesPredictionsBitExactly()
    {
        var train = DiffusionData.Synthetic(60, 8);
        using var model = Fit(Tiny() with { Denoiser = DenoiserKind.Dit, Depth = 2 }, train);
        using var folder = new TempFolder();
        string path = folder.File("stem.zip");
        Stem.SaveModel(model, train.Schema, path);
        var loaded = Assert.IsType<StemDiffusionTransformer>(Stem.LoadModel(path, out _));
        using (loaded)
        {
            var expected = DiffusionData.Column(model.Transform(train), "ScoreUpper90");
            var actual = DiffusionData.Column(loaded.Transform(train), "ScoreUpper90");
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(model.Summary, loaded.Summary);
            Assert.Equal(model.Genes, loaded.Genes);
            Assert.Equal(model.Options with { IntervalLevels = null }, loaded.Options with { IntervalLevels = null });
        }
    }

    private static double DrivenPcc(ExpressionMetrics metrics) =>
        Enumerable.Range(0, DiffusionData.DrivenGenes).Average(j => metrics.GeneCorrelations[$"G{j}"]!.Value);

    [Fact]
    public void RidgeMeanPrior_KeepsTheDrivenGenes_AndSavesAndLoadsBitExactly()
    {
        var train = DiffusionData.Synthetic(120, 12);
        var test = DiffusionData.Synthetic(80, 13);
        using var model = Fit(Tiny(6) with { MeanPrior = MeanPrior.Ridge, Epochs = 10, Draws = 32 }, train);
        Assert.NotNull(model.Prior);
        // Even a barely trained residual diffusion predicts about what the ridge it is centred on predicts
        // (less the Monte-Carlo noise of 32 draws).
        var ridge = Stem.Trainers.Ridge().Fit(train);
        double stem = DrivenPcc(Stem.Evaluate(model.Transform(test), "Expression", "Score"));
        double baseline = DrivenPcc(Stem.Evaluate(ridge.Transform(test), "Expression", "Score"));
        output.WriteLine($"ridge prior: driven-gene PCC {stem:0.000} (ridge alone {baseline:0.000})");
        Assert.True(stem > 0.8, $"driven-gene PCC {stem:0.000}");
        Assert.True(stem > baseline - 0.05, $"{stem:0.000} vs ridge {baseline:0.000}");

        using var folder = new TempFolder();
        string path = folder.File("stem-prior.zip");
        Stem.SaveModel(model, train.Schema, path);
        using var loaded = Assert.IsType<StemDiffusionTransformer>(Stem.LoadModel(path, out _));
        Assert.Equal(MeanPrior.Ridge, loaded.Options.MeanPrior);
        Assert.Equal(DiffusionData.Column(model.Transform(test), "Score").Select(BitConverter.SingleToInt32Bits),
            DiffusionData.Column(loaded.Transform(test), "Score").Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Workers_ShardTheBatch_DeterministicallyAndLikeOneWorker()
    {
        var data = DiffusionData.Synthetic(70, 9);
        var options = Tiny(4) with { Epochs = 3 };
        using var two = Fit(options with { Workers = 2 }, data);
        using var twoAgain = Fit(options with { Workers = 2 }, data);
        using var one = Fit(options with { Workers = 1 }, data);
        var a = DiffusionData.Column(two.Transform(data), "Score");
        Assert.Equal(a.Select(BitConverter.SingleToInt32Bits), DiffusionData.Column(twoAgain.Transform(data), "Score").Select(BitConverter.SingleToInt32Bits));
        // One worker sums the same gradient in another order: equal up to float rounding.
        Assert.Equal(one.Summary.FinalLoss, two.Summary.FinalLoss, 3);
        var b = DiffusionData.Column(one.Transform(data), "Score");
        Assert.All(a.Zip(b), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-2, $"{p.First} vs {p.Second}"));
        // Sampling on one or two workers draws the same noise per spot.
        using var oneWorker = two.WithSampling(o => o with { Workers = 1, PredictionBatchSpots = 16 });
        var c = DiffusionData.Column(oneWorker.Transform(data), "Score");
        Assert.All(a.Zip(c), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-3, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public void Resume_AfterAnInterruption_EqualsUninterruptedTrainingBitExactly()
    {
        var data = DiffusionData.Synthetic(70, 9);
        var options = Tiny(21) with { Epochs = 4, CheckpointEvery = 1 };
        using var folder = new TempFolder();
        string checkpoints = folder.File("ckpt");

        using var uninterrupted = Fit(options, data);
        var crash = Assert.Throws<InvalidOperationException>(() => Fit(options with { CheckpointDirectory = checkpoints }, data, new CrashingProgress(2)));
        Assert.Contains("simulated crash", crash.Message);
        Assert.NotNull(TrainingCheckpoint.FindLatest(checkpoints));
        using var resumed = Fit(options with { CheckpointDirectory = checkpoints }, data);

        Assert.Equal(2, resumed.Summary.ResumedFromEpoch);
        Assert.Equal(uninterrupted.Summary.FinalLoss, resumed.Summary.FinalLoss);
        var a = DiffusionData.Column(uninterrupted.Transform(data), "Score");
        var b = DiffusionData.Column(resumed.Transform(data), "Score");
        Assert.Equal(a.Select(BitConverter.SingleToInt32Bits), b.Select(BitConverter.SingleToInt32Bits));

        // A different run must not silently resume from these checkpoints.
        Assert.Throws<InvalidDataException>(() => Fit(options with { CheckpointDirectory = checkpoints, HiddenSize = 16 }, data));
    }

    [Fact]
    public void Catalog_SeededContexts_GiveIdenticalModels_AndProgressReportsLossAndEta()
    {
        var data = DiffusionData.Synthetic(40, 10);
        float[] Run(int seed)
        {
            var ml = new MLContext(seed);
            ml.SpatialExpression().Seed = seed;
            using var fitted = ml.SpatialExpression().Trainers.StemDiffusion(options: Tiny() with { Seed = null }).Fit(data);
            return DiffusionData.Column(fitted.Transform(data), "Score");
        }
        Assert.Equal(Run(42), Run(42));
        Assert.NotEqual(Run(42), Run(43));
        var progress = new RecordingProgress();
        var ml = new MLContext(3);
        ml.SpatialExpression().Progress = progress;
        using var model = ml.SpatialExpression().Trainers.StemDiffusion(options: Tiny() with { Seed = null }).Fit(data);
        Assert.Contains(("training Stem diffusion", (long?)3), progress.Stages);
        Assert.Equal(3, progress.Advanced["training Stem diffusion"]);
        Assert.All(progress.Statuses, s => Assert.Matches(@"^epoch \d/3 loss \d+\.\d{4} ETA \d\d:\d\d:\d\d$", s));
        Assert.Equal(12, StemDiffusionOptions.Paper.Depth);
        Assert.Equal(384, StemDiffusionOptions.Paper.HiddenSize);
        Assert.Equal(6, StemDiffusionOptions.Paper.Heads);
        Assert.Equal(DiffusionSampler.Ddpm, StemDiffusionOptions.Paper.Sampler);
        Assert.Equal(1000, StemDiffusionOptions.Paper.EffectiveSteps);
        Assert.Equal(DiffusionSampler.RespacedDdpm, StemDiffusionOptions.Cpu.Sampler);
        Assert.Equal(100, StemDiffusionOptions.Cpu.EffectiveSteps);
    }

    [Fact]
    public void IntervalCoverage_CountsValuesInsideTheInterval()
    {
        float[] truth = [0, 1, 2, 3], lower = [0, 1.5f, 1, 4], upper = [1, 2, 2, 5];
        Assert.Equal(0.5, IntervalCoverage.Compute(truth, lower, upper));
        Assert.Equal([1.0, 0.0], IntervalCoverage.PerGene(truth, lower, upper, 2));
        Assert.Throws<ArgumentException>(() => IntervalCoverage.Compute(truth, lower, upper.AsSpan(1)));
    }

    [Fact]
    public void Coverage_OfATrainedModel_IsNearNominal()
    {
        var train = DiffusionData.Synthetic(400, 11);
        var test = DiffusionData.Synthetic(100, 12);
        using var model = Fit(Tiny(5) with { Epochs = 40, LearningRate = 2e-3, Draws = 30, Steps = 10 }, train);
        var scored = model.Transform(test);
        double c80 = IntervalCoverage.Compute(scored, "Expression", "ScoreLower80", "ScoreUpper80");
        double c90 = IntervalCoverage.Compute(scored, "Expression", "ScoreLower90", "ScoreUpper90");
        output.WriteLine($"coverage 80% {c80:0.000}, 90% {c90:0.000}");
        // The calibration promise: intervals cover about their nominal share of held-out values. Over training seeds 1–8
        // this configuration gave 80%: 0.744–0.803 (mean 0.787, sd 0.019) and 90%: 0.859–0.901 (mean 0.887, sd 0.013);
        // the bounds are nominal ± about 3 sd, so a model whose intervals are too wide or too narrow fails.
        Assert.InRange(c80, 0.73, 0.87);
        Assert.InRange(c90, 0.84, 0.96);
        Assert.True(c90 > c80, $"90% coverage {c90} not above 80% coverage {c80}");
    }

    private sealed class CrashingProgress(int afterEpochs) : IProgressReporter
    {
        public IProgressScope Start(string stage, long? total) => new Scope(stage == "training Stem diffusion" ? afterEpochs : int.MaxValue);

        private sealed class Scope(int limit) : IProgressScope
        {
            private long _done;

            public void Advance(long units = 1)
            {
                _done += units;
                if (_done >= limit) throw new InvalidOperationException("simulated crash");
            }

            public void SetStatus(string status) { }

            public void Dispose() { }
        }
    }
}
