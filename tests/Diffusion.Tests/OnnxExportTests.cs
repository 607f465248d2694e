using MlNetStem.Onnx;
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
        [DenoiserKind.Dit] = new(() => Randomize(Fitted(DenoiserKind.Dit, 1))),
        [DenoiserKind.ResidualMlp] = new(() => Randomize(Fitted(DenoiserKind.ResidualMlp, 1))),
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

    private static StemDiffusionTransformer Randomize(StemDiffusionTransformer model)
    {
        using var generator = new Generator(12);
        using var noGrad = new NoGradScope();
        foreach (var parameter in ((Module)model.Denoiser).Parameters())
        {
            using var scope = Tensor.NewScope();
            var shape = parameter.Shape.ToArray();
            double scale = shape.Length == 2 ? 1 / Math.Sqrt(shape[1]) : 0.1;
            parameter.CopyFrom(Tensor.RandN(shape, generator) * scale);
        }
        return model;
    }

    private static float[] Random(Random random, int count, double scale = 1) =>
        Enumerable.Range(0, count).Select(_ => (float)(DiffusionData.Normal(random) * scale)).ToArray();

    private static double MaxAbsDifference(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual, (e, a) => (double)Math.Abs(e - a)).Max();
    }

    [Theory]
    [InlineData(DenoiserKind.Dit)]
    [InlineData(DenoiserKind.ResidualMlp)]
    public void Denoiser_Export_MatchesLibtorch_AnyBatch(DenoiserKind kind)
    {
        var model = Randomized[kind].Value;
        using var session = OnnxSession.FromBytes(StemOnnxExporter.ExportDenoiser(model));
        Assert.Equal([StemOnnxExporter.NoisyInput, StemOnnxExporter.TimestepInput, StemOnnxExporter.ConditionInput], session.Inputs.Select(i => i.Name));
        var random = new Random(13);
        double worst = 0, largest = 0;
        foreach (int n in new[] { 1, 6 })
        {
            var x = Random(random, n * Genes);
            var t = Enumerable.Range(0, n).Select(i => i == 0 ? 0f : i == 1 ? 199f : random.Next(200)).ToArray();
            var c = Random(random, n * Features);
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
                [StemOnnxExporter.ConditionInput] = OnnxTensor.Create(c, n, Features),
            });
            Assert.Equal(new long[] { n, Genes }, result[StemOnnxExporter.EpsilonOutput].Shape);
            Assert.Equal(new long[] { n, Genes }, result[StemOnnxExporter.VarianceOutput].Shape);
            worst = Math.Max(worst, Math.Max(MaxAbsDifference(eps, result[StemOnnxExporter.EpsilonOutput].GetData<float>()),
                MaxAbsDifference(v, result[StemOnnxExporter.VarianceOutput].GetData<float>())));
            largest = Math.Max(largest, eps.Concat(v).Max(Math.Abs));
        }
        output.WriteLine($"{kind} denoiser: max |ORT − libtorch| = {worst:G3}, max |output| = {largest:G3}");
        Assert.True(largest > 0.1, $"the denoiser's outputs are all tiny ({largest}); the comparison would prove nothing");
        Assert.InRange(worst, 0, 1e-4);
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

    [Fact]
    public void Sampler_Export_InGraphNoise_IsMlNetShaped_AndRepeatable()
    {
        var model = Trained[DenoiserKind.ResidualMlp].Value.WithSampling(o => o with { Sampler = DiffusionSampler.RespacedDdpm, Steps = 4, Draws = 5 });
        using var folder = new TempFolder();
        string path = folder.File("stem.onnx");
        StemOnnxExporter.ExportSampler(model, path, new StemOnnxSamplerOptions(Seed: 3));
        var embedding = Random(new Random(15), 7 * Features);
        float[] Run()
        {
            using var session = OnnxSession.Load(path);
            var input = Assert.Single(session.Inputs);
            Assert.Equal(StemOnnxExporter.EmbeddingInput, input.Name);
            Assert.Equal(OnnxElementType.Float, input.ElementType);
            Assert.Equal(new long[] { -1, Features }, input.Dimensions);
            Assert.Equal("N", input.SymbolicDimensions[0]);
            var expression = session.Outputs.First();
            Assert.Equal(StemOnnxExporter.ExpressionOutput, expression.Name);
            Assert.Equal(new long[] { -1, Genes }, expression.Dimensions);
            var result = session.Run(new Dictionary<string, OnnxTensor> { [StemOnnxExporter.EmbeddingInput] = OnnxTensor.Create(embedding, 7, Features) });
            Assert.Equal(new long[] { 7, Genes }, result[StemOnnxExporter.ExpressionOutput].Shape);
            Assert.True(result[StemOnnxExporter.StdOutput].GetData<float>().Max() > 0.01, "in-graph noise should make the draws differ");
            return result[StemOnnxExporter.ExpressionOutput].GetData<float>();
        }
        var first = Run();
        Assert.All(first, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(first, Run());
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
