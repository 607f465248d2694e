using System.Runtime.InteropServices;
using MlNetStem.Onnx;
using MlNetStem.Onnx.Writer;
using MlNetStem.TestKit;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;
using MlNetStem.Trainers.Diffusion;
using MlNetStem.Trainers.Diffusion.Export;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.Diffusion.Tests;

/// <summary>
/// The exported denoiser against libtorch, and the exported sampler (loop inside the graph) against the model's own
/// Transform fed the same noise. The denoiser is checked with weights re-drawn at a realistic scale, because adaLN-Zero
/// starts with zero gates and a zero output layer, which would make any export look right; the samplers with briefly
/// trained weights, so that predictions are in label units and the 1e-3 tolerance means something.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    private const int Genes = 8;
    private const int Features = 4;
    private const int PredictionSeed = 7;

    private static readonly Dictionary<DenoiserKind, Lazy<StemDiffusionTransformer>> Randomized = new()
    {
        [DenoiserKind.Dit] = new(() => DiffusionData.RandomizeWeights(Fitted(DenoiserKind.Dit, 1))),
        [DenoiserKind.ResidualMlp] = new(() => DiffusionData.RandomizeWeights(Fitted(DenoiserKind.ResidualMlp, 1))),
    };

    private static readonly Dictionary<DenoiserKind, Lazy<StemDiffusionTransformer>> Trained = new()
    {
        [DenoiserKind.Dit] = new(() => Fitted(DenoiserKind.Dit, 40)),
        [DenoiserKind.ResidualMlp] = new(() => Fitted(DenoiserKind.ResidualMlp, 40)),
    };

    private static readonly Lazy<StemDiffusionTransformer> TrainedWithRidgePrior = new(() => Fitted(DenoiserKind.Dit, 20, MeanPrior.Ridge));

    private static StemDiffusionTransformer Fitted(DenoiserKind kind, int epochs, MeanPrior prior = MeanPrior.None)
    {
        var options = StemDiffusionTests.Tiny(11) with
        {
            Denoiser = kind, Depth = 2, Epochs = epochs, DiffusionSteps = 200, LearningRate = 2e-3, MeanPrior = prior,
        };
        return new StemDiffusionEstimator(options).Fit(DiffusionData.Synthetic(60, 31, Genes, Features));
    }

    private static float[] Random(Random random, int count, double scale = 1) =>
        Enumerable.Range(0, count).Select(_ => (float)(DiffusionData.Normal(random) * scale)).ToArray();

    private static double MaxAbsDifference(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual, (e, a) => (double)Math.Abs(e - a)).Max();
    }

    private static double StandardDeviation(float[] values)
    {
        double mean = values.Average(v => (double)v);
        return Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
    }

    private static double Correlation(IEnumerable<(double X, double Y)> pairs)
    {
        var p = pairs.ToArray();
        double mx = p.Average(q => q.X), my = p.Average(q => q.Y);
        double sxy = p.Sum(q => (q.X - mx) * (q.Y - my));
        return sxy / Math.Sqrt(p.Sum(q => (q.X - mx) * (q.X - mx)) * p.Sum(q => (q.Y - my) * (q.Y - my)));
    }

    [Theory]
    [InlineData(DenoiserKind.Dit)]
    [InlineData(DenoiserKind.ResidualMlp)]
    public void Denoiser_Export_MatchesLibtorch_AnyBatch(DenoiserKind kind)
    {
        var model = Randomized[kind].Value;
        using var session = OnnxSession.FromBytes(StemOnnxExporter.ExportDenoiser(model));
        Assert.Equal([StemOnnxExporter.NoisyInput, StemOnnxExporter.TimestepInput, StemOnnxExporter.EmbeddingInput], session.Inputs.Select(i => i.Name));
        Assert.Equal([StemOnnxExporter.EpsilonOutput, StemOnnxExporter.VarianceOutput, StemOnnxExporter.PriorMeanOutput], session.Outputs.Select(o => o.Name));
        var random = new Random(13);
        double worst = 0, largest = 0;
        foreach (int n in new[] { 1, 6 })
        {
            var x = Random(random, n * Genes);
            var t = Enumerable.Range(0, n).Select(i => i == 0 ? 0f : i == 1 ? 199f : random.Next(200)).ToArray();
            var embedding = Random(random, n * Features, 1.5);
            embedding[0] = 1e6f;   // far out of distribution: the graph bounds the standardized value as in process
            // The condition libtorch sees: standardized and bounded as the transformer does before sampling.
            var c = (float[])embedding.Clone();
            model.FeatureScaling.Apply(c);
            for (int i = 0; i < c.Length; i++) c[i] = Math.Clamp(c[i], -StemDiffusionTransformer.ConditionLimit, StemDiffusionTransformer.ConditionLimit);
            float[] eps, v;
            using (Tensor.NewScope())
            using (new NoGradScope())
            {
                var (e, vv) = model.Denoiser.Forward(Tensor.FromArray(x, [n, Genes]), Tensor.FromArray(t, [n]), Tensor.FromArray(c, [n, Features]));
                (eps, v) = (e.Contiguous().ToFloatArray(), vv.Contiguous().ToFloatArray());
            }
            var result = session.Run(new Dictionary<string, OnnxTensor>
            {
                [StemOnnxExporter.NoisyInput] = OnnxTensor.Create(x, n, Genes),
                [StemOnnxExporter.TimestepInput] = OnnxTensor.Create(t, n),
                [StemOnnxExporter.EmbeddingInput] = OnnxTensor.Create(embedding, n, Features),
            });
            Assert.Equal(new long[] { n, Genes }, result[StemOnnxExporter.EpsilonOutput].Shape);
            Assert.Equal(new long[] { n, Genes }, result[StemOnnxExporter.VarianceOutput].Shape);
            // No mean prior: the prior mean is zeros of the same shape, so one sampling loop fits every model.
            Assert.Equal(new long[] { n, Genes }, result[StemOnnxExporter.PriorMeanOutput].Shape);
            Assert.All(result[StemOnnxExporter.PriorMeanOutput].GetData<float>(), p => Assert.Equal(0f, p));
            worst = Math.Max(worst, Math.Max(MaxAbsDifference(eps, result[StemOnnxExporter.EpsilonOutput].GetData<float>()),
                MaxAbsDifference(v, result[StemOnnxExporter.VarianceOutput].GetData<float>())));
            largest = Math.Max(largest, eps.Concat(v).Max(Math.Abs));
        }
        output.WriteLine($"{kind} denoiser: max |ORT − libtorch| = {worst:G3}, max |output| = {largest:G3}");
        Assert.True(largest > 0.1, $"the denoiser's outputs are all tiny ({largest}); the comparison would prove nothing");
        Assert.InRange(worst, 0, 1e-4);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Denoiser_Alone_DdpmLoopFromItsMetadata_MatchesTheSamplerExport(bool ridgePrior)
    {
        // A consumer's ancestral DDPM over all T = 200 steps with only the denoiser file (StandaloneDdpm reads the schedule,
        // label statistics and clip bounds from its metadata), fed the noise the sampler export is fed.
        const int spots = 3, draws = 2;
        var model = (ridgePrior ? TrainedWithRidgePrior.Value : Trained[DenoiserKind.Dit].Value).WithSampling(o => o with
        {
            Sampler = DiffusionSampler.Ddpm, Draws = draws, ClipDenoised = true, AntitheticDraws = false,
        });
        Assert.Equal(ridgePrior, model.Prior is not null);
        var embedding = Random(new Random(17), spots * Features, 1.5);
        int slots = StemOnnxExporter.NoiseSlots(model);
        var noise = DiffusionData.SamplerNoise(PredictionSeed, spots, draws, slots, Genes);
        using var sampler = OnnxSession.FromBytes(StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(NoiseInput: true)));
        var expected = sampler.Run(new Dictionary<string, OnnxTensor>
        {
            [StemOnnxExporter.EmbeddingInput] = OnnxTensor.Create(embedding, spots, Features),
            [StemOnnxExporter.NoiseInput] = OnnxTensor.Create(noise, spots, draws, slots, Genes),
        })[StemOnnxExporter.DrawsOutput].GetData<float>();

        using var folder = new TempFolder();
        StemOnnxExporter.ExportDenoiser(model, folder.File("denoiser.onnx"));
        using var ddpm = new StandaloneDdpm(folder.File("denoiser.onnx"));
        Assert.Equal(200, ddpm.Steps);
        Assert.Equal(slots, ddpm.Steps);
        var actual = ddpm.Sample([(StemOnnxExporter.EmbeddingInput, embedding, [Features])], spots, draws, noise);
        double error = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        output.WriteLine($"DDPM from the denoiser file alone (prior {ridgePrior}): max |loop − sampler export| over the draws {error:G3}, " +
            $"max |draw| {expected.Max(Math.Abs):G3}");
        Assert.InRange(error, 0, 1e-3);
        Assert.True(expected.Max(Math.Abs) > 0.5, "draws too small for the comparison to mean anything");
    }

    [Theory]
    [InlineData(DenoiserKind.Dit, DiffusionSampler.Ddim, 8, 0.0, true)]
    [InlineData(DenoiserKind.Dit, DiffusionSampler.Ddim, 8, 0.0, false)]
    [InlineData(DenoiserKind.Dit, DiffusionSampler.RespacedDdpm, 6, 0.0, true)]
    [InlineData(DenoiserKind.Dit, DiffusionSampler.DpmSolver2M, 5, 0.0, false)]
    [InlineData(DenoiserKind.ResidualMlp, DiffusionSampler.Ddim, 5, 0.5, false)]
    [InlineData(DenoiserKind.ResidualMlp, DiffusionSampler.DpmSolver2M, 6, 0.0, true)]
    [InlineData(DenoiserKind.ResidualMlp, DiffusionSampler.Ddpm, 200, 0.0, true)]
    [InlineData(DenoiserKind.Dit, DiffusionSampler.DpmSolver2M, 5, 0.0, true, true)]
    [InlineData(DenoiserKind.Dit, DiffusionSampler.RespacedDdpm, 6, 0.0, false, true)]
    public void Sampler_Export_SameNoise_MatchesTransform(DenoiserKind kind, DiffusionSampler sampler, int steps, double eta, bool clip, bool ridgePrior = false)
    {
        const int spots = 5, draws = 3;
        var trained = ridgePrior ? TrainedWithRidgePrior.Value : Trained[kind].Value;
        Assert.Equal(ridgePrior, trained.Prior is not null);
        var model = trained.WithSampling(o => o with
        {
            Sampler = sampler, Steps = steps, Eta = eta, Draws = draws, PredictionSeed = PredictionSeed, OutputDraws = true, PredictionBatchSpots = 64,
            ClipDenoised = clip,
        });
        var embedding = Random(new Random(14), spots * Features, 1.5);
        var scored = model.Transform(DiffusionData.FeaturesOnly(embedding, Features));
        var expectedMean = DiffusionData.Column(scored, "Score");
        var expectedStd = DiffusionData.Column(scored, "ScoreStd");
        var expectedDraws = DiffusionData.Column(scored, "ScoreDraws");

        // The noise the in-process sampler draws: one generator per spot, called once for x_T and once per stochastic step.
        int slots = StemOnnxExporter.NoiseSlots(model);
        Assert.Equal(sampler is DiffusionSampler.RespacedDdpm or DiffusionSampler.Ddpm || eta > 0 ? steps : 1, slots);
        var noise = DiffusionData.SamplerNoise(PredictionSeed, spots, draws, slots, Genes);

        using var session = OnnxSession.FromBytes(StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(NoiseInput: true)));
        var result = session.Run(new Dictionary<string, OnnxTensor>
        {
            [StemOnnxExporter.EmbeddingInput] = OnnxTensor.Create(embedding, spots, Features),
            [StemOnnxExporter.NoiseInput] = OnnxTensor.Create(noise, spots, draws, slots, Genes),
        });
        Assert.Equal(new long[] { spots, Genes }, result[StemOnnxExporter.ExpressionOutput].Shape);
        Assert.Equal(new long[] { spots, draws, Genes }, result[StemOnnxExporter.DrawsOutput].Shape);
        double meanError = MaxAbsDifference(expectedMean, result[StemOnnxExporter.ExpressionOutput].GetData<float>());
        double drawError = MaxAbsDifference(expectedDraws, result[StemOnnxExporter.DrawsOutput].GetData<float>());
        double stdError = MaxAbsDifference(expectedStd, result[StemOnnxExporter.StdOutput].GetData<float>());
        output.WriteLine($"{kind} {sampler} {steps} steps η={eta} clip={clip}: max |ORT − Transform| mean {meanError:G3}, draws {drawError:G3}, std {stdError:G3}; " +
            $"max |prediction| {expectedMean.Max(Math.Abs):G3}");
        Assert.InRange(meanError, 0, 1e-3);
        Assert.InRange(drawError, 0, 1e-3);
        Assert.InRange(stdError, 0, 1e-3);
        Assert.True(expectedStd.Max() > 0.01, "draws that do not differ would not test the noise path");
    }

    [Fact]
    public void AntitheticDraws_MirrorEachOther_InProcessAndInTheOnnxSampler()
    {
        // A barely trained DiT still has its zero-initialized output layer, so ε̂ ≈ 0 and a one-step DDIM draw is linear in
        // its noise: antithetic partners (draw i and draw i + D/2) must then sit symmetrically around the label mean.
        const int spots = 3, draws = 6;
        var train = DiffusionData.Synthetic(40, 32, Genes, Features);
        using var model = new StemDiffusionEstimator(StemDiffusionTests.Tiny(12) with
        {
            Epochs = 1, LearningRate = 1e-12, Sampler = DiffusionSampler.Ddim, Steps = 1, Draws = draws, AntitheticDraws = true,
            ClipDenoised = false, OutputDraws = true,
        }).Fit(train);
        var labels = DiffusionData.Column(train, "Expression");
        var labelMean = Enumerable.Range(0, Genes).Select(j => labels.Where((_, i) => i % Genes == j).Average()).ToArray();
        var embedding = Random(new Random(16), spots * Features);
        void AssertMirrored(float[] all, string where)
        {
            double scale = all.Max(Math.Abs);
            for (int s = 0; s < spots; s++)
                for (int d = 0; d < draws / 2; d++)
                    for (int j = 0; j < Genes; j++)
                    {
                        double a = all[(s * draws + d) * Genes + j] - labelMean[j], b = all[(s * draws + d + draws / 2) * Genes + j] - labelMean[j];
                        Assert.True(Math.Abs(a + b) < 1e-3 * scale, $"{where}: spot {s}, draw {d}, gene {j}: {a} vs {b}");
                    }
            Assert.True(scale > 1, $"{where}: draws too small to test");
        }
        AssertMirrored(DiffusionData.Column(model.Transform(DiffusionData.FeaturesOnly(embedding, Features)), "ScoreDraws"), "in process");

        using var session = OnnxSession.FromBytes(StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(Seed: 4)));
        var result = session.Run(new Dictionary<string, OnnxTensor> { [StemOnnxExporter.EmbeddingInput] = OnnxTensor.Create(embedding, spots, Features) });
        AssertMirrored(result[StemOnnxExporter.DrawsOutput].GetData<float>(), "ONNX");
    }

    /// <summary>The default sampler export (seeded in-graph noise) of a stochastic sampler, written to <paramref name="path"/>.</summary>
    private static StemDiffusionTransformer ExportSeeded(string path, DenoiserKind kind = DenoiserKind.ResidualMlp,
        DiffusionSampler sampler = DiffusionSampler.RespacedDdpm, int steps = 4, double eta = 0, int draws = 5, bool antithetic = false)
    {
        var model = Trained[kind].Value.WithSampling(o => o with
        {
            Sampler = sampler, Steps = steps, Eta = eta, Draws = draws, AntitheticDraws = antithetic, PredictionSeed = PredictionSeed,
        });
        StemOnnxExporter.ExportSampler(model, path);
        return model;
    }

    private static float[] Draws(OnnxSession session, float[] embedding) =>
        session.Run(new Dictionary<string, OnnxTensor> { [StemOnnxExporter.EmbeddingInput] = OnnxTensor.Create(embedding, embedding.Length / Features, Features) },
            StemOnnxExporter.DrawsOutput)[StemOnnxExporter.DrawsOutput].GetData<float>();

    [Fact]
    public void Sampler_Export_SeededNoise_IsMlNetShaped_AndBitIdenticalRunToRunAndAcrossSessions()
    {
        using var folder = new TempFolder();
        string path = folder.File("stem.onnx");
        var model = ExportSeeded(path);
        // The export itself is deterministic: the same model writes the same bytes.
        Assert.Equal(File.ReadAllBytes(path), StemOnnxExporter.ExportSampler(model));
        var embedding = Random(new Random(15), 7 * Features);

        using var first = OnnxSession.Load(path);
        var input = Assert.Single(first.Inputs);   // the seed has a default, so it is not a required input
        Assert.Equal(StemOnnxExporter.EmbeddingInput, input.Name);
        Assert.Equal(OnnxElementType.Float, input.ElementType);
        Assert.Equal(new long[] { -1, Features }, input.Dimensions);
        Assert.Equal("N", input.SymbolicDimensions[0]);
        var expression = first.Outputs.First();
        Assert.Equal(StemOnnxExporter.ExpressionOutput, expression.Name);
        Assert.Equal(new long[] { -1, Genes }, expression.Dimensions);

        var once = Draws(first, embedding);
        var twice = Draws(first, embedding);
        float[] fresh;
        using (var second = OnnxSession.Load(path)) fresh = Draws(second, embedding);
        output.WriteLine($"seeded sampler: max |difference| of the draws, same input twice in one session {MaxAbsDifference(once, twice):G3}, " +
            $"in a new session {MaxAbsDifference(once, fresh):G3}; spread of the draws {StandardDeviation(once):G3}");
        Assert.All(once, v => Assert.True(float.IsFinite(v)));
        Assert.True(StandardDeviation(once) > 0.1, "in-graph noise should make the draws differ");
        Assert.Equal(once, twice);
        Assert.Equal(once, fresh);
    }

    [Fact]
    public void Sampler_Export_SeededNoise_IsBitIdenticalInAnotherProcess()
    {
        // Another process with stock ONNX Runtime and nothing of MlNetStem: an F# Interactive script (the .NET SDK's
        // `dotnet fsi`) loads the file, runs the same rows in one batch and writes the draws back.
        using var folder = new TempFolder();
        string path = folder.File("stem.onnx"), features = folder.File("features.bin"), draws = folder.File("draws.bin"), script = folder.File("run.fsx");
        ExportSeeded(path);
        var embedding = Random(new Random(22), 7 * Features);
        File.WriteAllBytes(features, MemoryMarshal.AsBytes(embedding.AsSpan()).ToArray());
        File.WriteAllText(script, $$"""
            #r @"{{Path.Combine(AppContext.BaseDirectory, "Microsoft.ML.OnnxRuntime.dll")}}"
            open System
            open System.IO
            open Microsoft.ML.OnnxRuntime
            open Microsoft.ML.OnnxRuntime.Tensors
            let args = fsi.CommandLineArgs
            let bytes = File.ReadAllBytes args.[2]
            let values : float32[] = Array.zeroCreate (bytes.Length / 4)
            Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length)
            let session = new InferenceSession(args.[1])
            let tensor = DenseTensor<float32>(Memory<float32>(values), ReadOnlySpan<int>([| values.Length / {{Features}}; {{Features}} |]))
            let input = NamedOnnxValue.CreateFromTensor("{{StemOnnxExporter.EmbeddingInput}}", tensor)
            let results = session.Run([| input |], [| "{{StemOnnxExporter.DrawsOutput}}" |])
            let draws = Seq.toArray ((Seq.head results).AsTensor<float32>())
            let output : byte[] = Array.zeroCreate (draws.Length * 4)
            Buffer.BlockCopy(draws, 0, output, 0, output.Length)
            File.WriteAllBytes(args.[3], output)
            """);
        // The runtime's native library sits under runtimes/<rid>/native of the test output.
        string native = Directory.EnumerateFiles(AppContext.BaseDirectory, "libonnxruntime.so", SearchOption.AllDirectories)
            .Select(Path.GetDirectoryName).FirstOrDefault(d => d!.Contains(RuntimeInformation.RuntimeIdentifier, StringComparison.Ordinal)) ?? AppContext.BaseDirectory;
        var (code, stdout, stderr) = ChildProcess.Run("dotnet", ["fsi", script, path, features, draws], TimeSpan.FromMinutes(3),
            new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = native });
        Assert.True(code == 0, $"dotnet fsi exited with {code}: {stderr}{stdout}");
        var there = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(draws)).ToArray();
        float[] here;
        using (var session = OnnxSession.Load(path)) here = Draws(session, embedding);
        output.WriteLine($"seeded sampler: max |difference| of the draws, this process vs another {MaxAbsDifference(here, there):G3}");
        Assert.Equal(here, there);
    }

    [Theory]
    [InlineData(DenoiserKind.ResidualMlp, DiffusionSampler.RespacedDdpm, 4, 0.0, false)]
    [InlineData(DenoiserKind.Dit, DiffusionSampler.Ddim, 3, 0.5, true)]
    public void Sampler_Export_SeededNoise_DependsOnTheRowOnly_NotOnBatchOrOrder(DenoiserKind kind, DiffusionSampler sampler, int steps, double eta, bool antithetic)
    {
        const int spots = 9, draws = 4;
        using var folder = new TempFolder();
        ExportSeeded(folder.File("stem.onnx"), kind, sampler, steps, eta, draws, antithetic);
        var embedding = Random(new Random(18), spots * Features, 1.5);
        embedding.AsSpan(0, Features).CopyTo(embedding.AsSpan(4 * Features));   // spot 4 repeats spot 0
        using var session = OnnxSession.Load(folder.File("stem.onnx"));
        var batch = Draws(session, embedding);
        int[] order = [6, 2, 8, 0, 5, 1, 3, 7, 4];
        var permuted = Draws(session, order.SelectMany(s => embedding.Skip(s * Features).Take(Features)).ToArray());
        double worstPermuted = 0, worstAlone = 0;
        for (int s = 0; s < spots; s++)
        {
            var expected = batch.AsSpan(s * draws * Genes, draws * Genes).ToArray();
            var moved = permuted.AsSpan(Array.IndexOf(order, s) * draws * Genes, draws * Genes).ToArray();
            var alone = Draws(session, embedding.AsSpan(s * Features, Features).ToArray());
            worstPermuted = Math.Max(worstPermuted, MaxAbsDifference(expected, moved));
            worstAlone = Math.Max(worstAlone, MaxAbsDifference(expected, alone));
            Assert.Equal(expected, moved);
            Assert.Equal(expected, alone);
        }
        output.WriteLine($"{kind} {sampler}: max |difference| of a spot's draws, rows permuted {worstPermuted:G3}, batch of 1 vs {spots} {worstAlone:G3}");
        // The noise is the row's own: a repeated spot repeats its draws, other spots differ.
        Assert.Equal(batch.AsSpan(0, draws * Genes).ToArray(), batch.AsSpan(4 * draws * Genes, draws * Genes).ToArray());
        Assert.True(MaxAbsDifference(batch.AsSpan(0, draws * Genes).ToArray(), batch.AsSpan(draws * Genes, draws * Genes).ToArray()) > 0.1);
        if (antithetic) Assert.True(StandardDeviation(batch) > 0.1, "antithetic pairs must not cancel the noise");
    }

    [Fact]
    public void Sampler_Export_SeedIsAnOptionalInput_DefaultingToThePredictionSeed()
    {
        using var folder = new TempFolder();
        var model = ExportSeeded(folder.File("stem.onnx"));
        StemOnnxExporter.ExportSampler(model, folder.File("seed8.onnx"), new StemOnnxSamplerOptions(Seed: 8));
        var embedding = Random(new Random(19), 6 * Features);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(folder.File("stem.onnx"));
        // Stock ONNX Runtime lists the seed apart from the required inputs (an overridable initializer).
        Assert.Equal([StemOnnxExporter.EmbeddingInput], session.InputMetadata.Keys);
        var seed = Assert.Single(session.OverridableInitializerMetadata);
        Assert.Equal(StemOnnxExporter.SeedInput, seed.Key);
        Assert.Equal(typeof(long), seed.Value.ElementType);
        Assert.Empty(seed.Value.Dimensions);
        Assert.Equal(PredictionSeed.ToString(System.Globalization.CultureInfo.InvariantCulture), session.ModelMetadata.CustomMetadataMap["seed"]);
        Assert.Equal("mimc5-p31-boxmuller-v1", session.ModelMetadata.CustomMetadataMap["noise"]);

        float[] Run(Microsoft.ML.OnnxRuntime.InferenceSession s, long? value)
        {
            var feeds = new List<Microsoft.ML.OnnxRuntime.NamedOnnxValue>
            {
                Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor(StemOnnxExporter.EmbeddingInput,
                    new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(embedding, [6, Features])),
            };
            if (value is long v)
                feeds.Add(Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor(StemOnnxExporter.SeedInput,
                    new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>(new[] { v }, Array.Empty<int>())));
            using var results = s.Run(feeds, [StemOnnxExporter.DrawsOutput]);
            return results.Single().AsTensor<float>().ToArray();
        }
        var byDefault = Run(session, null);
        Assert.Equal(byDefault, Run(session, PredictionSeed));
        var other = Run(session, 8);
        using (var exported8 = new Microsoft.ML.OnnxRuntime.InferenceSession(folder.File("seed8.onnx")))
            Assert.Equal(other, Run(exported8, null));
        double changed = byDefault.Zip(other, (a, b) => a != b ? 1.0 : 0).Average();
        output.WriteLine($"seed {PredictionSeed} → 8: {changed:P1} of the draws' values change, max |difference| {MaxAbsDifference(byDefault, other):G3}");
        Assert.Equal(1.0, changed);
        Assert.True(MaxAbsDifference(byDefault, other) > 0.5, "another seed must give other draws");
    }

    [Fact]
    public void SeededNoise_IsStandardNormal_AndUncorrelatedAcrossGenesDrawsSlotsSeedsAndNearbyRows()
    {
        // The generator itself (the sampler emits exactly this subgraph), on rows of which the second half repeat the
        // first with one feature moved by 1e-4: 128 rows × 8 draws × 64 genes per slot.
        const int rows = 128, width = 6, draws = 8, genes = 64;
        var graph = new OnnxGraphBuilder("noise_test");
        var ops = new OnnxGraphOps(graph);
        string condition = graph.AddInput("condition", OnnxElementType.Float, "N", width);
        var seeded = new SeededNoiseGraph(ops, condition, width, graph.AddInputWithDefault("seed", [5]), draws, genes);
        var otherSeed = new SeededNoiseGraph(ops, condition, width, graph.AddInputWithDefault("seed_other", [6]), draws, genes);
        string[] outputs = ["slot0", "slot1", "slot0_seed6"];
        string[] values = [seeded.Normals(ops, ops.Int64("slot_zero", 0)), seeded.Normals(ops, ops.Int64("slot_one", 1)), otherSeed.Normals(ops, ops.Int64("slot_zero_other", 0))];
        for (int i = 0; i < outputs.Length; i++)
        {
            graph.AddNode("Identity", "", [values[i]], [outputs[i]]);
            graph.AddOutput(outputs[i], OnnxElementType.Float, "N", draws, genes);
        }
        var x = Random(new Random(20), rows * width, 2);
        for (int r = rows / 2; r < rows; r++)
        {
            x.AsSpan((r - rows / 2) * width, width).CopyTo(x.AsSpan(r * width));
            x[r * width + 2] += 1e-4f;
        }
        using var session = OnnxSession.FromBytes(graph.ToBytes());
        var result = session.Run(new Dictionary<string, OnnxTensor> { ["condition"] = OnnxTensor.Create(x, rows, width) });
        var z0 = result["slot0"].GetData<float>();
        var z1 = result["slot1"].GetData<float>();
        var seed6 = result["slot0_seed6"].GetData<float>();
        double Z(float[] z, int r, int d, int j) => z[(r * draws + d) * genes + j];
        IEnumerable<(double, double)> Pairs(Func<int, int, int, (double, double)?> pick) =>
            from r in Enumerable.Range(0, rows / 2) from d in Enumerable.Range(0, draws) from j in Enumerable.Range(0, genes)
            let p = pick(r, d, j) where p is not null select p.Value;

        var all = z0.Concat(z1).Select(v => (double)v).ToArray();
        double mean = all.Average(), std = Math.Sqrt(all.Sum(v => (v - mean) * (v - mean)) / all.Length);
        var sorted = all.Order().ToArray();
        double ks = sorted.Select((v, i) => Math.Max(Math.Abs((i + 1.0) / sorted.Length - MathNet.Numerics.Distributions.Normal.CDF(0, 1, v)),
            Math.Abs((double)i / sorted.Length - MathNet.Numerics.Distributions.Normal.CDF(0, 1, v)))).Max();
        var correlations = new Dictionary<string, double>
        {
            ["neighbouring genes"] = Correlation(Pairs((r, d, j) => j + 1 < genes ? (Z(z0, r, d, j), Z(z0, r, d, j + 1)) : null)),
            ["neighbouring draws"] = Correlation(Pairs((r, d, j) => d + 1 < draws ? (Z(z0, r, d, j), Z(z0, r, d + 1, j)) : null)),
            ["noise slots 0 and 1"] = Correlation(Pairs((r, d, j) => (Z(z0, r, d, j), Z(z1, r, d, j)))),
            ["seeds 5 and 6"] = Correlation(Pairs((r, d, j) => (Z(z0, r, d, j), Z(seed6, r, d, j)))),
            ["neighbouring rows"] = Correlation(Pairs((r, d, j) => r + 1 < rows / 2 ? (Z(z0, r, d, j), Z(z0, r + 1, d, j)) : null)),
            ["rows 1e-4 apart"] = Correlation(Pairs((r, d, j) => (Z(z0, r, d, j), Z(z0, r + rows / 2, d, j)))),
        };
        output.WriteLine($"{all.Length} values: mean {mean:G3}, std {std:G5}, Kolmogorov–Smirnov distance to N(0, 1) {ks:G3}; correlations: " +
            string.Join(", ", correlations.Select(c => $"{c.Key} {c.Value:G3}")));
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(std, 0.98, 1.02);
        Assert.InRange(ks, 0, 0.01);
        Assert.All(correlations, c => Assert.True(Math.Abs(c.Value) < 0.05, $"{c.Key}: correlation {c.Value}"));
    }

    [Fact]
    public void Sampler_Export_SeededNoise_MeanPrediction_AgreesWithTransformStatistically()
    {
        // Both are means of 20 draws of the same model from different noise: the exported means must follow the in-process
        // ones across spots, with the same spread of the draws.
        const int spots = 60, draws = 20;
        var model = Trained[DenoiserKind.ResidualMlp].Value.WithSampling(o => o with
        {
            Sampler = DiffusionSampler.RespacedDdpm, Steps = 10, Draws = draws, PredictionSeed = PredictionSeed, AntitheticDraws = true,
        });
        var data = DiffusionData.Synthetic(spots, 41, Genes, Features);
        var embedding = DiffusionData.Column(data, "Features");
        var scored = model.Transform(DiffusionData.FeaturesOnly(embedding, Features));
        var mean = DiffusionData.Column(scored, "Score");
        var std = DiffusionData.Column(scored, "ScoreStd");
        using var session = OnnxSession.FromBytes(StemOnnxExporter.ExportSampler(model));
        var result = session.Run(new Dictionary<string, OnnxTensor> { [StemOnnxExporter.EmbeddingInput] = OnnxTensor.Create(embedding, spots, Features) });
        var onnxMean = result[StemOnnxExporter.ExpressionOutput].GetData<float>();
        var onnxStd = result[StemOnnxExporter.StdOutput].GetData<float>();
        var pcc = Enumerable.Range(0, DiffusionData.DrivenGenes).Select(j => Correlation(
            Enumerable.Range(0, spots).Select(s => ((double)mean[s * Genes + j], (double)onnxMean[s * Genes + j])))).ToArray();
        double meanDifference = mean.Zip(onnxMean, (a, b) => (double)Math.Abs(a - b)).Average();
        double drawSpread = std.Average(v => (double)v);
        double stdRatio = onnxStd.Average(v => (double)v) / drawSpread;
        output.WriteLine($"ONNX (seeded) vs Transform, {draws} draws each: per-gene PCC of the means (driven genes) " +
            $"[{string.Join(", ", pcc.Select(p => p.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)))}], " +
            $"mean |difference| {meanDifference:G3} = {meanDifference / drawSpread:0.00} × the draws' mean std, std ratio {stdRatio:0.000}");
        // Measured: PCC ≥ 0.897 (the interaction gene G1, whose spread across spots the briefly trained model barely
        // learned), mean |difference| 0.05 × the draws' std, std ratio 1.05. Broken noise (scaled, shared across draws,
        // biased) moves the last two far out of range.
        Assert.All(pcc, p => Assert.True(p > 0.8, $"per-gene PCC {p}"));
        Assert.InRange(meanDifference / drawSpread, 0, 0.25);
        Assert.InRange(stdRatio, 0.85, 1.15);
    }

    /// <summary>One spot as ML.NET's LoadFromEnumerable reads it, the column named after the ONNX input.</summary>
    private sealed class Spot
    {
        [ColumnName("features"), VectorType(OnnxExportTests.Features)]
        public float[] Embedding { get; set; } = [];
    }

    [Fact]
    public void Sampler_Export_MlNetApplyOnnxModel_BindsOnlyFeatures_AndGivesTheOnnxRuntimeValues()
    {
        // ML.NET runs the graph one row at a time; the seeded noise makes each row's values those of a batched run.
        using var folder = new TempFolder();
        string path = folder.File("stem.onnx");
        ExportSeeded(path);
        var embedding = Random(new Random(21), 8 * Features);
        var ml = new MLContext(seed: 1);
        var spots = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(s => new Spot { Embedding = embedding.AsSpan(s * Features, Features).ToArray() }));
        var pipeline = ml.Transforms.ApplyOnnxModel([StemOnnxExporter.ExpressionOutput, StemOnnxExporter.StdOutput], [StemOnnxExporter.EmbeddingInput], path);
        var predicted = pipeline.Fit(spots).Transform(spots);
        var fromMlNet = DiffusionData.Column(predicted, StemOnnxExporter.ExpressionOutput);
        using var session = OnnxSession.Load(path);
        var batched = session.Run(new Dictionary<string, OnnxTensor> { [StemOnnxExporter.EmbeddingInput] = OnnxTensor.Create(embedding, 8, Features) })
            [StemOnnxExporter.ExpressionOutput].GetData<float>();
        output.WriteLine($"ApplyOnnxModel vs one ONNX Runtime batch: max |difference| {MaxAbsDifference(batched, fromMlNet):G3}");
        Assert.Equal(batched, fromMlNet);
        Assert.Equal(fromMlNet, DiffusionData.Column(predicted, StemOnnxExporter.ExpressionOutput));   // a second read samples the same
    }

    [Fact]
    public void Sampler_Export_BadOptions_AreRefused()
    {
        var model = Trained[DenoiserKind.ResidualMlp].Value;
        Assert.Throws<ArgumentOutOfRangeException>(() => StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(DiffusionSampler.Ddim, Steps: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(DiffusionSampler.Ddim, Steps: 201)));
        Assert.Throws<ArgumentOutOfRangeException>(() => StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(Draws: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(DiffusionSampler.DpmSolver2M, Steps: 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(DiffusionSampler.Ddim, 5, Eta: -1)));
    }
}
