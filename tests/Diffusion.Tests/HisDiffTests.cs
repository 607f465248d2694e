using MlNetStem.Data;
using MlNetStem.Onnx;
using MlNetStem.TestKit;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;
using MlNetStem.Trainers;
using MlNetStem.Trainers.Diffusion;
using MlNetStem.Trainers.Diffusion.Export;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.Diffusion.Tests;

/// <summary>
/// HisDiff on the shared diffusion core: the context fusion (attention of the spot's embedding over its context sets,
/// padded slots masked), its save/load, its ONNX sampler (same noise → same draws as in process, with the fusion in the
/// graph), the stock ML.NET save with several input columns, and clear errors for malformed context columns.
/// </summary>
public sealed class HisDiffTests(ITestOutputHelper output)
{
    private const int Genes = 6;
    private const int Features = 4;
    private static readonly int[] Sizes = [3, 5];
    private static readonly string[] Contexts = ["Near", "Wide"];
    private static readonly SpatialExpressionCatalog Catalog = new MLContext(1).SpatialExpression();

    /// <summary>
    /// Spots with random embeddings and random context sets, masks with some padding (never the first slot, the spot itself);
    /// gene 0 follows the mean of the near set's feature 0, gene 1 the spot's own feature 1, the rest noise.
    /// </summary>
    internal static InMemoryDataView Data(int rows, int seed)
    {
        var random = new Random(seed);
        float Uniform() => (float)(random.NextDouble() * 4 - 2);
        var own = Enumerable.Range(0, rows * Features).Select(_ => Uniform()).ToArray();
        var values = new Dictionary<string, Array> { ["Features"] = own };
        var columns = new List<DataViewSchema.DetachedColumn> { SchemaColumns.Create("Features", ColumnTypes.FloatTensor(Features)) };
        var nearMean = new double[rows];
        for (int set = 0; set < Sizes.Length; set++)
        {
            int k = Sizes[set];
            var context = Enumerable.Range(0, rows * k * Features).Select(_ => Uniform()).ToArray();
            var mask = new float[rows * k];
            for (int r = 0; r < rows; r++)
            {
                own.AsSpan(r * Features, Features).CopyTo(context.AsSpan(r * k * Features));   // slot 0 is the spot itself
                for (int j = 0; j < k; j++) mask[r * k + j] = j == 0 || random.NextDouble() < 0.8 ? 1 : 0;
                if (set == 0)
                    nearMean[r] = Enumerable.Range(0, k).Where(j => mask[r * k + j] == 1).Average(j => context[(r * k + j) * Features]);
            }
            values[Contexts[set]] = context;
            values[Contexts[set] + "Mask"] = mask;
            columns.Add(SchemaColumns.Create(Contexts[set], ColumnTypes.FloatTensor(k, Features)));
            columns.Add(SchemaColumns.Create(Contexts[set] + "Mask", ColumnTypes.FloatTensor(k)));
        }
        var y = new float[rows * Genes];
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < Genes; g++)
                y[r * Genes + g] = (float)(g switch { 0 => 2 * nearMean[r], 1 => own[r * Features + 1], _ => 0.2 * g }
                    + 0.2 * DiffusionData.Normal(random));
        values["Expression"] = y;
        columns.Add(SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(Genes), DiffusionData.GeneNames(Genes)));
        return new InMemoryDataView(columns, rows, values);
    }

    private static StemDiffusionOptions Options(DenoiserKind kind, int epochs) => StemDiffusionTests.Tiny(21) with
    {
        Denoiser = kind, Epochs = epochs, DiffusionSteps = 200, LearningRate = 2e-3, ContextColumns = Contexts, ContextHeads = 2,
    };

    private static StemDiffusionTransformer Fit(DenoiserKind kind, int epochs) =>
        new StemDiffusionEstimator(Options(kind, epochs)).Fit(Data(60, 1));

    /// <summary>The condition inputs of the exported graphs for <paramref name="data"/>: embedding, then each context set and its mask.</summary>
    private static List<(string Name, float[] Values, long[] SpotShape)> ConditionInputs(IDataView data)
    {
        var inputs = new List<(string, float[], long[])> { (StemOnnxExporter.EmbeddingInput, DiffusionData.Column(data, "Features"), [Features]) };
        for (int set = 0; set < Sizes.Length; set++)
        {
            inputs.Add((StemOnnxExporter.ContextInput(set), DiffusionData.Column(data, Contexts[set]), [Sizes[set], Features]));
            inputs.Add((StemOnnxExporter.ContextMaskInput(set), DiffusionData.Column(data, Contexts[set] + "Mask"), [Sizes[set]]));
        }
        return inputs;
    }

    private static Dictionary<string, OnnxTensor> Feeds(IEnumerable<(string Name, float[] Values, long[] SpotShape)> inputs, int spots) =>
        inputs.ToDictionary(i => i.Name, i => OnnxTensor.Create(i.Values, [spots, .. i.SpotShape]));

    private static InMemoryDataView With(InMemoryDataView data, string column, Func<float[], float[]> change)
    {
        var values = data.Schema.ToDictionary(c => c.Name, c => (Array)DiffusionData.Column(data, c.Name));
        values[column] = change((float[])values[column]);
        return new InMemoryDataView(data.Schema.Select(c => SchemaColumns.Create(c.Name, c.Type, c.Name == "Expression" ? DiffusionData.GeneNames(Genes) : null)),
            (int)data.GetRowCount()!.Value, values);
    }

    [Fact]
    public void HisDiff_PassesTheWorkout()
    {
        var bad = new InMemoryDataView([SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(Genes))], 1,
            new Dictionary<string, Array> { ["Expression"] = new float[Genes] });
        EstimatorWorkout.Run(Catalog.Trainers.HisDiff(contextColumns: Contexts, options: Options(DenoiserKind.ResidualMlp, 2)), Data(30, 2), bad, "Features");
    }

    [Fact]
    public void PaddedSlots_DoNotChangeThePrediction_RealNeighboursDo()
    {
        using var model = Fit(DenoiserKind.ResidualMlp, 30);
        var test = Data(12, 3);
        var baseline = DiffusionData.Column(model.Transform(test), "Score");
        var mask = DiffusionData.Column(test, "NearMask");
        Assert.Contains(0f, mask);
        // Overwrite every padded slot of the near set with large values: masked keys get zero attention.
        var padded = With(test, "Near", near => near.Select((v, i) => mask[i / Features] == 0 ? 50f : v).ToArray());
        Assert.Equal(baseline, DiffusionData.Column(model.Transform(padded), "Score"));
        // Changing a real neighbour (slot 1 where unmasked) does change it.
        var moved = With(test, "Near", near => near.Select((v, i) => i / Features % Sizes[0] == 1 && mask[i / Features] == 1 ? v + 3 : v).ToArray());
        double change = baseline.Zip(DiffusionData.Column(model.Transform(moved), "Score"), (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"max change of the prediction when real neighbours move: {change:G3}");
        Assert.True(change > 1e-3, $"the prediction ignores the context ({change})");
    }

    [Fact]
    public void SavedAndLoaded_PredictsTheSame_AndRecordsTheContext()
    {
        using var model = Fit(DenoiserKind.Dit, 5);
        var test = Data(10, 4);
        using var folder = new TempFolder();
        Catalog.SaveModel(model, test.Schema, folder.File("hisdiff.zip"));
        using var loaded = Assert.IsType<StemDiffusionTransformer>(Catalog.LoadModel(folder.File("hisdiff.zip"), out _));
        Assert.Equal(Sizes, loaded.ContextSizes);
        Assert.Equal(Contexts, loaded.Options.ContextColumns);
        Assert.Equal(DiffusionData.Column(model.Transform(test), "Score"), DiffusionData.Column(loaded.Transform(test), "Score"));
    }

    [Theory]
    [InlineData(DenoiserKind.Dit, DiffusionSampler.RespacedDdpm, 5)]
    [InlineData(DenoiserKind.ResidualMlp, DiffusionSampler.DpmSolver2M, 4)]
    public void Sampler_Export_WithTheFusionInTheGraph_SameNoise_MatchesTransform(DenoiserKind kind, DiffusionSampler sampler, int steps)
    {
        const int spots = 5, draws = 3, predictionSeed = 9;
        using var trained = DiffusionData.RandomizeWeights(Fit(kind, 20));
        var model = trained.WithSampling(o => o with
        {
            Sampler = sampler, Steps = steps, Draws = draws, PredictionSeed = predictionSeed, OutputDraws = true, AntitheticDraws = false,
        });
        var test = Data(spots, 5);
        var expected = DiffusionData.Column(model.Transform(test), "ScoreDraws");

        int slots = StemOnnxExporter.NoiseSlots(model);
        var noise = DiffusionData.SamplerNoise(predictionSeed, spots, draws, slots, Genes);
        using var session = OnnxSession.FromBytes(StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(NoiseInput: true)));
        Assert.Equal([StemOnnxExporter.EmbeddingInput, StemOnnxExporter.ContextInput(0), StemOnnxExporter.ContextMaskInput(0),
            StemOnnxExporter.ContextInput(1), StemOnnxExporter.ContextMaskInput(1), StemOnnxExporter.NoiseInput], session.Inputs.Select(i => i.Name));
        var inputs = new Dictionary<string, OnnxTensor>
        {
            [StemOnnxExporter.EmbeddingInput] = OnnxTensor.Create(DiffusionData.Column(test, "Features"), spots, Features),
            [StemOnnxExporter.NoiseInput] = OnnxTensor.Create(noise, spots, draws, slots, Genes),
        };
        for (int set = 0; set < Sizes.Length; set++)
        {
            inputs[StemOnnxExporter.ContextInput(set)] = OnnxTensor.Create(DiffusionData.Column(test, Contexts[set]), spots, Sizes[set], Features);
            inputs[StemOnnxExporter.ContextMaskInput(set)] = OnnxTensor.Create(DiffusionData.Column(test, Contexts[set] + "Mask"), spots, Sizes[set]);
        }
        var actual = session.Run(inputs)[StemOnnxExporter.DrawsOutput].GetData<float>();
        double error = expected.Zip(actual, (e, a) => (double)Math.Abs(e - a)).Max();
        output.WriteLine($"HisDiff {kind} {sampler} {steps} steps: max |ORT − Transform| over the draws {error:G3}, max |draw| {expected.Max(Math.Abs):G3}");
        Assert.InRange(error, 0, 1e-3);
        Assert.True(expected.Max(Math.Abs) > 0.1, "draws too small for the comparison to mean anything");
    }

    [Fact]
    public void SavedWithMLNet_IsAStockOnnxTransformer_ReadingEveryContextColumn()
    {
        using var model = Fit(DenoiserKind.ResidualMlp, 5);
        var test = Data(8, 6);
        using var folder = new TempFolder();
        var ml = new MLContext(1);
        ml.Model.Save(model, test.Schema, folder.File("stock.zip"));
        var loaded = new MLContext(2).Model.Load(folder.File("stock.zip"), out _);
        static IEnumerable<ITransformer> Flatten(ITransformer t) => t is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [t];
        var steps = Flatten(loaded).ToArray();
        output.WriteLine($"loaded: {string.Join(", ", steps.Select(t => t.GetType().Name))}");
        Assert.Contains(steps, t => t.GetType().Name.Contains("Onnx", StringComparison.Ordinal));
        var scored = DiffusionData.Column(loaded.Transform(test), "Score");
        Assert.Equal(8 * Genes, scored.Length);
        Assert.All(scored, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ExportedSamplersAndDenoiser_HaveNoUnusedInitializer_AndPassTheOnnxChecker(bool hisDiff)
    {
        // ONNX Runtime warns on every load of a model with an unused initializer; the official checker validates the rest.
        using var model = hisDiff ? Fit(DenoiserKind.ResidualMlp, 1)
            : new StemDiffusionEstimator(StemDiffusionTests.Tiny(3) with { Denoiser = DenoiserKind.ResidualMlp, Epochs = 1 }).Fit(DiffusionData.Synthetic(20, 1));
        using var folder = new TempFolder();
        var sampling = model.WithSampling(o => o with { Sampler = DiffusionSampler.RespacedDdpm, Steps = 3, Draws = 2, AntitheticDraws = true });
        string[] paths = [folder.File("sampler.onnx"), folder.File("sampler-noise-input.onnx"), folder.File("sampler-ode.onnx"), folder.File("denoiser.onnx")];
        StemOnnxExporter.ExportSampler(sampling, paths[0]);
        StemOnnxExporter.ExportSampler(sampling, paths[1], new StemOnnxSamplerOptions(NoiseInput: true));
        StemOnnxExporter.ExportSampler(sampling, paths[2], new StemOnnxSamplerOptions(DiffusionSampler.Ddim, Steps: 2));
        StemOnnxExporter.ExportDenoiser(model, paths[3]);
        const string script = """
            import sys, onnx
            def used(g):
                names = set()
                for n in g.node:
                    names.update(n.input)
                    for a in n.attribute:
                        if a.type == onnx.AttributeProto.GRAPH: names |= used(a.g)
                return names
            for path in sys.argv[1:]:
                m = onnx.load(path); onnx.checker.check_model(m, full_check=True)
                unused = sorted(i.name for i in m.graph.initializer if i.name not in used(m.graph))
                if unused: print(path, ",".join(unused))
            """;
        var (code, stdout, stderr) = ChildProcess.Run("/usr/bin/python3", ["-c", script, .. paths]);
        Assert.True(code == 0, stderr);
        Assert.Equal("", stdout.Trim());
    }

    [Fact]
    public void Denoiser_Export_TakesTheContextInputs_AndADdpmLoopOnItAloneMatchesTheSampler()
    {
        const int spots = 3, draws = 2, predictionSeed = 9;
        using var trained = DiffusionData.RandomizeWeights(Fit(DenoiserKind.Dit, 5));
        var model = trained.WithSampling(o => o with
        {
            Sampler = DiffusionSampler.Ddpm, Draws = draws, PredictionSeed = predictionSeed, AntitheticDraws = false, ClipDenoised = true,
        });
        var inputs = ConditionInputs(Data(spots, 8));
        int slots = StemOnnxExporter.NoiseSlots(model);
        var noise = DiffusionData.SamplerNoise(predictionSeed, spots, draws, slots, Genes);
        using var sampler = OnnxSession.FromBytes(StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(NoiseInput: true)));
        var feeds = Feeds(inputs, spots);
        feeds[StemOnnxExporter.NoiseInput] = OnnxTensor.Create(noise, spots, draws, slots, Genes);
        var expected = sampler.Run(feeds)[StemOnnxExporter.DrawsOutput].GetData<float>();

        using var folder = new TempFolder();
        StemOnnxExporter.ExportDenoiser(model, folder.File("denoiser.onnx"));
        using (var session = OnnxSession.Load(folder.File("denoiser.onnx")))
            Assert.Equal([StemOnnxExporter.NoisyInput, StemOnnxExporter.TimestepInput, .. inputs.Select(i => i.Name)], session.Inputs.Select(i => i.Name));
        using var ddpm = new StandaloneDdpm(folder.File("denoiser.onnx"));
        var actual = ddpm.Sample(inputs, spots, draws, noise);
        double error = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        output.WriteLine($"HisDiff DDPM from the denoiser file alone: max |loop − sampler export| over the draws {error:G3}, max |draw| {expected.Max(Math.Abs):G3}");
        Assert.InRange(error, 0, 1e-3);
        Assert.True(expected.Max(Math.Abs) > 0.1, "draws too small for the comparison to mean anything");
    }

    [Fact]
    public void Sampler_Export_SeededNoise_KeysOnWhatTheModelSees_NotOnPaddedSlotsOrRowOrder()
    {
        const int spots = 8, draws = 3;
        using var trained = DiffusionData.RandomizeWeights(Fit(DenoiserKind.ResidualMlp, 5));
        var model = trained.WithSampling(o => o with { Sampler = DiffusionSampler.RespacedDdpm, Steps = 4, Draws = draws });
        using var session = OnnxSession.FromBytes(StemOnnxExporter.ExportSampler(model));
        var test = Data(spots, 4);
        // The seed has a default, so the condition inputs are the only required ones.
        Assert.Equal(ConditionInputs(test).Select(i => i.Name), session.Inputs.Select(i => i.Name));
        float[] Draws(IDataView data) => session.Run(Feeds(ConditionInputs(data), spots), StemOnnxExporter.DrawsOutput)[StemOnnxExporter.DrawsOutput].GetData<float>();
        float[] Spot(float[] all, int s) => all.AsSpan(s * draws * Genes, draws * Genes).ToArray();
        var baseline = Draws(test);
        Assert.Equal(baseline, Draws(test));

        // Padded slots hold anything: the masked attention ignores them, and so does the noise.
        var mask = DiffusionData.Column(test, "NearMask");
        Assert.Contains(0f, mask);
        Assert.Equal(baseline, Draws(With(test, "Near", near => near.Select((v, i) => mask[i / Features] == 0 ? 50f : v).ToArray())));

        // A real neighbour of spot 0 moved by 1e-3: its noise is another (the draws move by far more than the denoiser's
        // response to so small a change), and no other spot's draws change.
        int slot = Enumerable.Range(1, Sizes[0] - 1).First(j => mask[j] == 1);
        var moved = Draws(With(test, "Near", near => near.Select((v, i) => i == slot * Features ? v + 1e-3f : v).ToArray()));
        double change = MaxAbs(Spot(baseline, 0), Spot(moved, 0));
        output.WriteLine($"spot 0's draws after a neighbour moved by 1e-3: max change {change:G3}");
        Assert.True(change > 0.1, $"the noise ignores the context ({change})");
        for (int s = 1; s < spots; s++) Assert.Equal(Spot(baseline, s), Spot(moved, s));

        // Rows in another order: each spot keeps its draws.
        int[] order = [5, 0, 7, 2, 6, 1, 4, 3];
        var permuted = new InMemoryDataView(test.Schema.Select(c => SchemaColumns.Create(c.Name, c.Type, c.Name == "Expression" ? DiffusionData.GeneNames(Genes) : null)),
            spots, test.Schema.ToDictionary(c => c.Name, c =>
            {
                var values = DiffusionData.Column(test, c.Name);
                int width = values.Length / spots;
                return (Array)order.SelectMany(s => values.Skip(s * width).Take(width)).ToArray();
            }));
        var reordered = Draws(permuted);
        for (int i = 0; i < spots; i++) Assert.Equal(Spot(baseline, order[i]), Spot(reordered, i));
    }

    private static double MaxAbs(float[] a, float[] b) => a.Zip(b, (x, y) => (double)Math.Abs(x - y)).Max();

    [Fact]
    public void MalformedContext_IsRefusedWithTheColumnNamed()
    {
        var estimator = new StemDiffusionEstimator(Options(DenoiserKind.ResidualMlp, 1));
        var data = Data(20, 7);
        // A mask value that is neither 0 nor 1.
        var halfMask = With(data, "WideMask", m => m.Select((v, i) => i == 7 ? 0.5f : v).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => estimator.Fit(halfMask));
        Assert.Contains("WideMask", e.Message);
        // A context of the wrong embedding width.
        var narrow = new InMemoryDataView(data.Schema.Select(c => c.Name == "Near"
                ? SchemaColumns.Create("Near", ColumnTypes.FloatTensor(Sizes[0] * 2, 2))
                : SchemaColumns.Create(c.Name, c.Type, c.Name == "Expression" ? DiffusionData.GeneNames(Genes) : null)),
            20, data.Schema.ToDictionary(c => c.Name, c => (Array)DiffusionData.Column(data, c.Name)));
        var schema = Assert.Throws<SchemaMismatchException>(() => estimator.Fit(narrow));
        Assert.Contains("Near", schema.Message);
        // A missing mask column.
        var noMask = new InMemoryDataView(data.Schema.Where(c => c.Name != "NearMask")
                .Select(c => SchemaColumns.Create(c.Name, c.Type, c.Name == "Expression" ? DiffusionData.GeneNames(Genes) : null)),
            20, data.Schema.Where(c => c.Name != "NearMask").ToDictionary(c => c.Name, c => (Array)DiffusionData.Column(data, c.Name)));
        Assert.Contains("NearMask", Assert.Throws<SchemaMismatchException>(() => estimator.Fit(noMask)).Message);
        Assert.Throws<ArgumentException>(() => new StemDiffusionEstimator(Options(DenoiserKind.Dit, 1) with { ContextColumns = ["Near", "Near"] }));
        Assert.Throws<ArgumentException>(() => new StemDiffusionEstimator(Options(DenoiserKind.Dit, 1) with { ContextAttentionWidth = 5 }));
    }
}
