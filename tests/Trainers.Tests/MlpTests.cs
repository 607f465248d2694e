using System.Diagnostics;
using MlNetStem.Data;
using MlNetStem.Onnx;
using MlNetStem.TestKit;
using MlNetStem.Trainers.Mlp;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.Trainers.Tests;

public sealed class MlpTests(ITestOutputHelper output)
{
    private static readonly MLContext Ml = new(1);
    private static SpatialExpressionCatalog Stem => Ml.SpatialExpression();

    /// <summary>Small and fast: a few epochs of a narrow network.</summary>
    private static MlpOptions Quick(int seed = 7, MlpActivation activation = MlpActivation.Silu, double dropout = 0.1) =>
        new(HiddenSizes: [16, 8], Activation: activation, Dropout: dropout, Epochs: 5, BatchSize: 16, Seed: seed);

    private static MlpTransformer Fit(MlpOptions options, IDataView data, IProgressReporter? progress = null) =>
        new MlpEstimator(options, progress).Fit(data);

    [Fact]
    public void Mlp_PassesTheWorkout()
    {
        var bad = new InMemoryDataView([SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(2))], 1,
            new Dictionary<string, Array> { ["Expression"] = new float[2] });
        EstimatorWorkout.Run(Stem.Trainers.Mlp(hiddenSizes: [16], epochs: 3), MlpData.Nonlinear(40, 1), bad, "Features",
            transformOnly: MlpData.FeaturesOnly([0.1f, 0.2f, 0.3f, 1f, 1.5f, -1f], MlpData.FeatureCount));
    }

    [Fact]
    public void Mlp_LearnsANonlinearFunction_AndBeatsRidge()
    {
        var train = MlpData.Nonlinear(600, 2);
        var test = MlpData.Nonlinear(200, 3);
        var watch = Stopwatch.StartNew();
        using var model = Fit(new MlpOptions(HiddenSizes: [64, 64], Dropout: 0, Epochs: 60, BatchSize: 32, LearningRate: 3e-3, Seed: 5), train);
        watch.Stop();
        var metrics = Stem.Evaluate(model.Transform(test), "Expression", "Score");
        var ridge = Stem.Evaluate(Stem.Trainers.Ridge().Fit(train).Transform(test), "Expression", "Score");
        output.WriteLine($"MLP 3→64→64→2, 600 rows × 60 epochs: {watch.ElapsedMilliseconds} ms; held-out MSE {metrics.Mse:0.0000}, " +
            $"PCC G1 {metrics.GeneCorrelations["G1"]:0.000} G2 {metrics.GeneCorrelations["G2"]:0.000}; ridge MSE {ridge.Mse:0.000}");
        Assert.True(metrics.Mse < 0.05, $"held-out MSE {metrics.Mse}");
        Assert.True(metrics.GeneCorrelations["G1"] > 0.95, $"PCC of sin(x1) + x2²: {metrics.GeneCorrelations["G1"]}");
        Assert.True(metrics.GeneCorrelations["G2"] > 0.95, $"PCC of x1·x3: {metrics.GeneCorrelations["G2"]}");
        Assert.True(metrics.Mse < ridge.Mse / 10, $"MLP MSE {metrics.Mse} vs ridge {ridge.Mse}");
        Assert.Equal(["G1", "G2"], model.Genes!);
        Assert.Equal(60, model.Summary.Epochs);
    }

    [Fact]
    public void Mlp_SameSeed_GivesIdenticalPredictions_DifferentSeed_DoesNot()
    {
        var train = MlpData.Nonlinear(80, 4);
        var test = MlpData.Nonlinear(30, 5);
        using var a = Fit(Quick(seed: 11), train);
        using var b = Fit(Quick(seed: 11), train);
        using var c = Fit(Quick(seed: 12), train);
        var pa = MlpData.Scores(a.Transform(test));
        Assert.Equal(pa, MlpData.Scores(b.Transform(test)));
        Assert.NotEqual(pa, MlpData.Scores(c.Transform(test)));
    }

    private static MLContext Seeded(int seed)
    {
        var ml = new MLContext(seed);
        ml.SpatialExpression().Seed = seed;
        return ml;
    }

    [Fact]
    public void Catalog_SeededContexts_GiveIdenticalModels()
    {
        var train = MlpData.Nonlinear(60, 6);
        float[] Run(int seed) => MlpData.Scores(Seeded(seed).SpatialExpression().Trainers.Mlp(hiddenSizes: [8], epochs: 3).Fit(train).Transform(train));
        Assert.Equal(Run(42), Run(42));
        Assert.NotEqual(Run(42), Run(43));
        var estimator = Seeded(42).SpatialExpression().Trainers.Mlp();
        Assert.NotNull(estimator.Options.Seed);
        Assert.Equal(estimator.Options.Seed, Seeded(42).SpatialExpression().Trainers.Mlp().Options.Seed);
        Assert.Equal([256], estimator.Options.EffectiveHiddenSizes);
        Assert.Equal(200, estimator.Options.Epochs);
        // One context hands successive trainers successive seeds; an explicit seed wins.
        var stem = Seeded(42).SpatialExpression();
        Assert.NotEqual(stem.Trainers.Mlp().Options.Seed, stem.Trainers.Mlp().Options.Seed);
        Assert.Equal(5, stem.Trainers.Mlp(seed: 5).Options.Seed);
    }

    [Fact]
    public void Catalog_Progress_ReachesTheTrainers()
    {
        var progress = new RecordingProgress();
        var ml = new MLContext(2);
        ml.SpatialExpression().Progress = progress;
        using var _ = ml.SpatialExpression().Trainers.Mlp(hiddenSizes: [4], epochs: 2).Fit(MlpData.Nonlinear(20, 20));
        Assert.Contains(("training MLP", (long?)2), progress.Stages);
        Assert.Equal(2, progress.Advanced["training MLP"]);
    }

    [Fact]
    public void Trainers_ComposeWithStockTransforms_AndTheChainChecksSchemaBeforeReading()
    {
        var ml = new MLContext(3);
        var data = MlpData.Nonlinear(60, 21);
        // ML.NET builds the feature vector (a copy, then a concatenation with itself); our trainer reads it through a row cursor.
        var pipeline = ml.Transforms.CopyColumns("Raw", "Features")
            .Append(ml.Transforms.Concatenate("Wide", "Raw", "Features"))
            .Append(ml.SpatialExpression().Trainers.Mlp(featureColumn: "Wide", hiddenSizes: [8], epochs: 3, seed: 4));
        var model = pipeline.Fit(data);
        using var mlp = model.LastTransformer;
        Assert.Equal(2 * MlpData.FeatureCount, mlp.FeatureCount);
        var scores = MlpData.Scores(model.Transform(data));
        Assert.Equal(60 * 2, scores.Length);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
        Assert.Equal(["G1", "G2"], model.Transform(data).Schema["Score"].SlotNames!);
        // The trainer's own ONNX export is found in the mixed chain.
        using var folder = new TempFolder();
        ml.SpatialExpression().ExportOnnx(model, folder.File("chain.onnx"));
        using var session = OnnxSession.Load(folder.File("chain.onnx"));
        Assert.Equal(new long[] { -1, 2 * MlpData.FeatureCount }, Assert.Single(session.Inputs).Dimensions);

        // The whole chain is checked before any data is read: a misspelt feature column after the stock transforms.
        var broken = ml.Transforms.CopyColumns("Raw", "Features")
            .Append(ml.SpatialExpression().Trainers.Mlp(featureColumn: "Wdie", hiddenSizes: [8], epochs: 3));
        var error = Assert.Throws<SchemaMismatchException>(() => broken.Fit(new ThrowingOnReadDataView(data.Schema)));
        Assert.Equal("Wdie", error.Column);
    }

    [Fact]
    public void SaveLoad_ReproducesPredictionsBitExactly()
    {
        var train = MlpData.Nonlinear(100, 7);
        var test = MlpData.Nonlinear(40, 8);
        using var model = Fit(Quick(activation: MlpActivation.Gelu) with { EarlyStoppingPatience = 2 }, train);
        using var folder = new TempFolder();
        string path = folder.File("mlp.zip");
        Stem.SaveModel(model, train.Schema, path);
        var loaded = Assert.IsType<MlpTransformer>(Stem.LoadModel(path, out _));
        using (loaded)
        {
            var expected = MlpData.Scores(model.Transform(test));
            var actual = MlpData.Scores(loaded.Transform(test));
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(model.Options, loaded.Options with { HiddenSizes = model.Options.HiddenSizes });
            Assert.Equal(model.Options.EffectiveHiddenSizes, loaded.Options.EffectiveHiddenSizes);
            Assert.Equal(model.Summary, loaded.Summary);
            Assert.Equal(model.Genes, loaded.Genes);
        }
    }

    [Theory]
    [InlineData(MlpActivation.Silu)]
    [InlineData(MlpActivation.Gelu)]
    public void OnnxExport_MatchesLibtorchPredictions(MlpActivation activation)
    {
        var train = MlpData.Nonlinear(120, 9);
        var test = MlpData.Nonlinear(50, 10);
        using var model = Fit(Quick(activation: activation) with { HiddenSizes = [32, 16] }, train);
        var torch = MlpData.Scores(model.Transform(test));

        using var session = OnnxSession.FromBytes(model.ExportOnnx());
        Assert.Equal(MlpTransformer.OnnxInputName, Assert.Single(session.Inputs).Name);
        Assert.Equal(new long[] { -1, MlpData.FeatureCount }, session.Inputs[0].Dimensions);
        Assert.Equal(new long[] { -1, 2 }, Assert.Single(session.Outputs).Dimensions);
        var features = MlpData.Column(test, "Features");
        var result = session.Run(new Dictionary<string, OnnxTensor>
        {
            [MlpTransformer.OnnxInputName] = OnnxTensor.Create(features, test.Rows, MlpData.FeatureCount),
        })[MlpTransformer.OnnxOutputName];
        Assert.Equal(new long[] { test.Rows, 2 }, result.Shape);
        var onnx = result.GetData<float>();
        double maxDiff = torch.Zip(onnx, (p, q) => Math.Abs(p - q)).Max();
        output.WriteLine($"{activation}: ONNX vs libtorch max |Δ| = {maxDiff:E2} over {onnx.Length} values");
        Assert.True(maxDiff <= 1e-4, $"max abs difference {maxDiff}");
        Assert.True(torch.Select(Math.Abs).Max() > 0.1, "predictions should not be trivially zero");
    }

    [Fact]
    public void OnnxExport_ToFile_WritesALoadableModel()
    {
        using var model = Fit(Quick(), MlpData.Nonlinear(40, 11));
        using var folder = new TempFolder();
        string path = folder.File("mlp.onnx");
        model.ExportOnnx(path);
        using var session = OnnxSession.Load(path);
        Assert.Equal(MlpTransformer.OnnxOutputName, Assert.Single(session.Outputs).Name);
    }

    [Fact]
    public void Fit_NaNFeatures_AreRejected()
    {
        var data = MlpData.Nonlinear(20, 12);
        ((float[])data.GetColumnArray("Features"))[4] = float.NaN;
        var error = Assert.Throws<InvalidDataException>(() => Fit(Quick(), data));
        Assert.Contains("NaN", error.Message);
        Assert.Contains("Features", error.Message);
    }

    [Fact]
    public void Fit_InfiniteLabels_AreRejected()
    {
        var data = MlpData.Nonlinear(20, 13);
        ((float[])data.GetColumnArray("Expression"))[3] = float.PositiveInfinity;
        Assert.Contains("Expression", Assert.Throws<InvalidDataException>(() => Fit(Quick(), data)).Message);
    }

    [Fact]
    public void Predict_NaNFeature_IsRejected()
    {
        using var model = Fit(Quick(), MlpData.Nonlinear(20, 14));
        var view = model.Transform(MlpData.FeaturesOnly([0.5f, float.NaN, 1], 3));
        Assert.Throws<InvalidDataException>(() => MlpData.Scores(view));
    }

    [Fact]
    public void Predict_WrongFeatureWidth_IsASchemaError()
    {
        using var model = Fit(Quick(), MlpData.Nonlinear(20, 15));
        var error = Assert.Throws<SchemaMismatchException>(() => model.Transform(MlpData.FeaturesOnly(new float[4], 4)));
        Assert.Equal("Features", error.Column);
        Assert.Contains(ColumnTypes.FloatTensor(3).ToString(), error.Message);
        Assert.Contains(ColumnTypes.FloatTensor(4).ToString(), error.Message);
    }

    [Fact]
    public void Fit_SingleRow_IsRejected()
    {
        Assert.Contains("2 training rows", Assert.Throws<InvalidDataException>(() => Fit(Quick(), MlpData.Nonlinear(1, 16))).Message);
    }

    [Fact]
    public void EarlyStopping_StopsBeforeTheEpochLimit_AndKeepsTheBestEpoch()
    {
        // Tiny noisy data set and a wide network: validation loss stops improving early.
        var data = MlpData.Nonlinear(60, 17);
        var labels = (float[])data.GetColumnArray("Expression");
        var random = new Random(1);
        for (int i = 0; i < labels.Length; i++) labels[i] += (float)(random.NextDouble() * 4 - 2);
        using var model = Fit(new MlpOptions(HiddenSizes: [64], Dropout: 0, Epochs: 400, BatchSize: 8, LearningRate: 1e-2,
            EarlyStoppingPatience: 5, EmaDecay: 0.5, Seed: 3), data);
        output.WriteLine(model.Summary.ToString());
        Assert.True(model.Summary.Epochs < 400, $"ran {model.Summary.Epochs} epochs");
        Assert.Equal(model.Summary.Epochs - 5, model.Summary.BestEpoch);
        Assert.NotNull(model.Summary.BestValidationLoss);
    }

    [Fact]
    public void Fit_ReportsEpochsWithLossAsStatus()
    {
        var progress = new RecordingProgress();
        using var _ = Fit(Quick(), MlpData.Nonlinear(30, 18), progress);
        Assert.Contains(("training MLP", (long?)5), progress.Stages);
        Assert.Equal(5, progress.Advanced["training MLP"]);
        Assert.Equal(5, progress.Statuses.Count(s => s.Contains("loss")));
        Assert.StartsWith("epoch 5/5 loss ", progress.Statuses[^1]);
    }

    [Theory]
    [InlineData(-0.1, 10, 1)]
    [InlineData(1.0, 10, 1)]
    [InlineData(0.1, 0, 1)]
    [InlineData(0.1, 10, 0)]
    public void Estimator_OutOfRangeOptions_AreRejected(double dropout, int epochs, int hidden)
    {
        Assert.ThrowsAny<ArgumentException>(() => new MlpEstimator(new MlpOptions(Dropout: dropout, Epochs: epochs, HiddenSizes: [hidden])));
    }

    [Fact]
    public void Transformer_NoHiddenLayers_IsALinearModelThatStillExports()
    {
        var train = MlpData.Nonlinear(50, 19);
        using var model = Fit(Quick() with { HiddenSizes = [] }, train);
        Assert.Equal(3 * 2 + 2, model.ParameterCount);
        using var session = OnnxSession.FromBytes(model.ExportOnnx());
        var x = MlpData.Column(train, "Features");
        var onnx = session.Run(new Dictionary<string, OnnxTensor> { ["features"] = OnnxTensor.Create(x, 50, 3) })["expression"].GetData<float>();
        var torch = MlpData.Scores(model.Transform(train));
        Assert.True(torch.Zip(onnx, (p, q) => Math.Abs(p - q)).Max() <= 1e-4);
    }
}
