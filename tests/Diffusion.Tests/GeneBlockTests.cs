using Microsoft.ML;
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
/// <see cref="StemDiffusionOptions.GeneBlockSize"/>: a panel split into blocks of genes, one denoiser each. The blocks
/// must really be independent, and the block model must save, load and export like the single denoiser.
/// </summary>
public sealed class GeneBlockTests(ITestOutputHelper output)
{
    private const int Genes = 8, Features = 4, BlockSize = 3;

    private static readonly Lazy<StemDiffusionTransformer> Blocked = new(() => new StemDiffusionEstimator(StemDiffusionTests.Tiny(11) with
    {
        Denoiser = DenoiserKind.ResidualMlp, Depth = 2, Epochs = 30, DiffusionSteps = 200, LearningRate = 2e-3, GeneBlockSize = BlockSize,
    }).Fit(DiffusionData.Synthetic(60, 31, Genes, Features)));

    [Theory]
    [InlineData(10, null, MeanPrior.None)]
    [InlineData(50, null, MeanPrior.None)]
    [InlineData(51, 50, MeanPrior.None)]
    [InlineData(250, 50, MeanPrior.None)]
    [InlineData(500, 50, MeanPrior.None)]
    [InlineData(501, null, MeanPrior.Ridge)]
    [InlineData(1000, null, MeanPrior.Ridge)]
    public void CpuFor_PanelSizeRule_AsDocumented(int genes, int? blockSize, MeanPrior prior)
    {
        var options = StemDiffusionOptions.CpuFor(genes);
        Assert.Equal(blockSize, options.GeneBlockSize);
        Assert.Equal(prior, options.MeanPrior);
        Assert.Equal(StemDiffusionOptions.Cpu with { GeneBlockSize = blockSize, MeanPrior = prior }, options);
        var hisDiff = StemDiffusionOptions.HisDiffFor(genes);
        Assert.Equal(genes > 50 ? 50 : null, hisDiff.GeneBlockSize);
        Assert.Equal(MeanPrior.None, hisDiff.MeanPrior);
    }

    [Fact]
    public void CatalogWithoutOptions_AdaptsToThePanelAtFit_WithOptionsItDoesNot()
    {
        var catalog = new MLContext(1).SpatialExpression().Trainers;
        var wide = DiffusionData.Synthetic(30, 4, genes: 60);
        using var adapted = catalog.StemDiffusion().Fit(wide);
        Assert.Equal(50, adapted.Options.GeneBlockSize);
        Assert.Equal(StemDiffusionOptions.Cpu.Epochs, adapted.Options.Epochs);
        using var asGiven = catalog.StemDiffusion(options: StemDiffusionTests.Tiny()).Fit(wide);
        Assert.Null(asGiven.Options.GeneBlockSize);
        var narrow = new StemDiffusionEstimator(StemDiffusionTests.Tiny(), null, StemDiffusionOptions.CpuFor).Fit(DiffusionData.Synthetic(30, 4));
        using (narrow) Assert.Null(narrow.Options.GeneBlockSize);
        var large = new StemDiffusionEstimator(StemDiffusionTests.Tiny() with { Epochs = 1 }, null, StemDiffusionOptions.CpuFor)
            .Fit(DiffusionData.Synthetic(30, 4, genes: 501));
        using (large)
        {
            Assert.Equal(MeanPrior.Ridge, large.Options.MeanPrior);
            Assert.Null(large.Options.GeneBlockSize);
        }
    }

    [Fact]
    public void Blocks_PartitionThePanel_AndEachBlockSeesOnlyItsGenes()
    {
        Assert.Equal([(0, 3), (3, 3), (6, 2)], GeneBlockDenoiser.Ranges(Genes, BlockSize));
        var model = Blocked.Value;
        var names = ((Module)model.Denoiser).NamedParameters().Select(p => p.Key).ToArray();
        Assert.Contains("gene_blocks.2.final_layer.linear.weight", names);
        Assert.DoesNotContain(names, n => !n.StartsWith("gene_blocks.", StringComparison.Ordinal));

        // Changing genes 3..7 of x_t must leave block 0's ε and v exactly as they were, and must change block 1's.
        var random = new Random(5);
        var x = Enumerable.Range(0, 2 * Genes).Select(_ => (float)DiffusionData.Normal(random)).ToArray();
        var changed = (float[])x.Clone();
        for (int r = 0; r < 2; r++)
            for (int j = BlockSize; j < Genes; j++) changed[r * Genes + j] += 1;
        var condition = Enumerable.Range(0, 2 * Features).Select(_ => (float)DiffusionData.Normal(random)).ToArray();
        float[] Run(float[] noisy)
        {
            using var scope = Tensor.NewScope();
            using var noGrad = new NoGradScope();
            var (eps, v) = model.Denoiser.Forward(Tensor.FromArray(noisy, [2, Genes]), Tensor.FromArray(new[] { 10f, 150f }, [2]),
                Tensor.FromArray(condition, [2, Features]));
            return [.. eps.Contiguous().ToFloatArray(), .. v.Contiguous().ToFloatArray()];
        }
        var before = Run(x);
        var after = Run(changed);
        for (int half = 0; half < 2; half++)
            for (int r = 0; r < 2; r++)
            {
                int row = half * 2 * Genes + r * Genes;
                for (int j = 0; j < BlockSize; j++) Assert.Equal(before[row + j], after[row + j]);
                Assert.NotEqual(before[row + BlockSize], after[row + BlockSize]);
            }
    }

    [Fact]
    public void BlockModel_LearnsTheDrivenGenes_AndSavesAndLoadsBitExactly()
    {
        var model = Blocked.Value;
        var test = DiffusionData.Synthetic(40, 32, Genes, Features);
        var ml = new MLContext(1);
        var metrics = ml.SpatialExpression().Evaluate(model.Transform(test), "Expression", "Score");
        double driven = Enumerable.Range(0, DiffusionData.DrivenGenes).Average(j => metrics.GeneCorrelations[$"G{j}"]!.Value);
        output.WriteLine($"block model, driven genes' mean PCC {driven:0.000}");
        Assert.True(driven > 0.5, $"the block model did not learn the driven genes (mean PCC {driven:0.000})");

        using var folder = new TempFolder();
        string path = folder.File("blocks.zip");
        ml.SpatialExpression().SaveModel(model, test.Schema, path);
        using var loaded = Assert.IsType<StemDiffusionTransformer>(ml.SpatialExpression().LoadModel(path, out _));
        Assert.Equal(BlockSize, loaded.Options.GeneBlockSize);
        var expected = DiffusionData.Column(model.Transform(test), "Score");
        var actual = DiffusionData.Column(loaded.Transform(test), "Score");
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void BlockModel_OnnxSampler_SameNoise_MatchesTransform()
    {
        const int spots = 4, draws = 2, steps = 5, seed = 7;
        var model = Blocked.Value.WithSampling(o => o with
        {
            Sampler = DiffusionSampler.RespacedDdpm, Steps = steps, Draws = draws, PredictionSeed = seed, OutputDraws = true,
        });
        var embedding = Enumerable.Range(0, spots * Features).Select(i => (float)Math.Sin(i)).ToArray();
        var expected = DiffusionData.Column(model.Transform(DiffusionData.FeaturesOnly(embedding, Features)), "ScoreDraws");
        int slots = StemOnnxExporter.NoiseSlots(model);
        var noise = DiffusionData.SamplerNoise(seed, spots, draws, slots, Genes);
        using var session = OnnxSession.FromBytes(StemOnnxExporter.ExportSampler(model, new StemOnnxSamplerOptions(NoiseInput: true)));
        var result = session.Run(new Dictionary<string, OnnxTensor>
        {
            [StemOnnxExporter.EmbeddingInput] = OnnxTensor.Create(embedding, spots, Features),
            [StemOnnxExporter.NoiseInput] = OnnxTensor.Create(noise, spots, draws, slots, Genes),
        });
        var actual = result[StemOnnxExporter.DrawsOutput].GetData<float>();
        double worst = expected.Zip(actual, (e, a) => (double)Math.Abs(e - a)).Max();
        output.WriteLine($"block model: max |ORT − Transform| over the draws {worst:G3}");
        Assert.Equal(expected.Length, actual.Length);
        Assert.InRange(worst, 0, 1e-3);
        Assert.True(expected.Max() - expected.Min() > 0.1, "draws that do not vary would not test the blocks");
    }
}
