using MlNetStem.Onnx;
using MlNetStem.Trainers.Diffusion;
using MlNetStem.Trainers.Diffusion.Export;
using Xunit;

namespace MlNetStem.Diffusion.Tests;

/// <summary>
/// Embeddings far outside the training distribution (all zeros, uniform noise) against a model whose training features
/// include near-constant columns (standard deviation just above the constant-column threshold, as some morphology features
/// are): standardizing such an input gives values of 1e4–1e6, which used to overflow the learned-range variance
/// (exp of an unbounded log-variance) into NaN draws, in process and in the exported sampler. Every output must be finite.
/// </summary>
public sealed class OutOfDistributionTests
{
    private const int Genes = 6;
    private const int Features = 6;

    private static readonly Lazy<StemDiffusionTransformer> Model = new(() =>
    {
        var data = DiffusionData.Synthetic(60, 41, Genes, Features);
        var x = (float[])data.GetColumnArray("Features");
        var random = new Random(5);
        for (int r = 0; r < 60; r++)
        {
            x[r * Features + 4] = 1 + (float)(random.NextDouble() * 1e-5);   // std ~3e-6: kept as a feature, not treated as constant
            x[r * Features + 5] = (float)(random.NextDouble() * 1e-5);
        }
        return new StemDiffusionEstimator(StemDiffusionTests.Tiny(9) with { Epochs = 20, DiffusionSteps = 200, LearningRate = 2e-3 }).Fit(data);
    });

    public static TheoryData<string, DiffusionSampler, bool> Cases()
    {
        var data = new TheoryData<string, DiffusionSampler, bool>();
        foreach (string input in (string[])["zeros", "uniform", "huge"])
            foreach (var sampler in (DiffusionSampler[])[DiffusionSampler.RespacedDdpm, DiffusionSampler.Ddim, DiffusionSampler.DpmSolver2M])
                foreach (bool clip in (bool[])[true, false])
                    data.Add(input, sampler, clip);
        return data;
    }

    private static float[] Embedding(string kind, int spots)
    {
        var random = new Random(17);
        return kind switch
        {
            "zeros" => new float[spots * Features],
            "uniform" => Enumerable.Range(0, spots * Features).Select(_ => (float)random.NextDouble()).ToArray(),
            _ => Enumerable.Range(0, spots * Features).Select(_ => (float)((random.NextDouble() * 2 - 1) * 1e30)).ToArray(),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OutOfDistributionEmbedding_GivesFiniteDraws_InProcessAndInTheOnnxSampler(string input, DiffusionSampler sampler, bool clip)
    {
        const int spots = 5;
        var model = Model.Value.WithSampling(o => o with { Sampler = sampler, Steps = 8, Draws = 6, ClipDenoised = clip, Eta = 1, OutputDraws = true });
        var embedding = Embedding(input, spots);
        var scored = model.Transform(DiffusionData.FeaturesOnly(embedding, Features));
        foreach (string column in (string[])["Score", "ScoreStd", "ScoreDraws", "ScoreLower", "ScoreUpper"])
        {
            var values = DiffusionData.Column(scored, column);
            Assert.NotEmpty(values);
            Assert.True(values.All(float.IsFinite), $"in process, {input}, {sampler}, clip {clip}: '{column}' holds {values.Count(v => !float.IsFinite(v))} non-finite values");
        }

        using var session = OnnxSession.FromBytes(StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(IntervalLevels: [0.8])));
        var result = session.Run(new Dictionary<string, OnnxTensor> { [StemOnnxExporter.EmbeddingInput] = OnnxTensor.Create(embedding, spots, Features) });
        foreach (var (name, tensor) in result)
        {
            var values = tensor.GetData<float>();
            Assert.NotEmpty(values);
            Assert.True(values.All(float.IsFinite), $"ONNX, {input}, {sampler}, clip {clip}: '{name}' holds {values.Count(v => !float.IsFinite(v))} non-finite values");
        }
    }
}
