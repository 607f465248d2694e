using MlNetStem.Data;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;
using MlNetStem.Trainers.Diffusion;

namespace MlNetStem.Diffusion.Tests;

/// <summary>
/// Generated spots: features x ∈ U(−2, 2)^F; genes G0..G3 are driven (G0 = 2·tanh(x0), G1 = x1 + 0.5·x0·x2,
/// G2 = 1.5·sin(x3), G3 = −x0 + x1) plus N(0, 0.3²) noise; the remaining genes are noise N(j/4, 0.5²) independent of x.
/// </summary>
internal static class DiffusionData
{
    public const int DrivenGenes = 4;

    public static string[] GeneNames(int genes) => Enumerable.Range(0, genes).Select(j => $"G{j}").ToArray();

    public static InMemoryDataView Synthetic(int rows, int seed, int genes = 8, int features = 4, int views = 1, float noise = 0.3f)
    {
        var random = new Random(seed);
        var x = new float[rows * views * features];
        var y = new float[rows * genes];
        for (int r = 0; r < rows; r++)
        {
            var f = new float[features];
            for (int i = 0; i < features; i++) f[i] = (float)(random.NextDouble() * 4 - 2);
            for (int a = 0; a < views; a++)
                for (int i = 0; i < features; i++)
                    x[(r * views + a) * features + i] = a == 0 ? f[i] : f[i] + (float)(Normal(random) * 0.1);
            for (int j = 0; j < genes; j++)
            {
                double mean = j switch
                {
                    0 => 2 * Math.Tanh(f[0]),
                    1 => f[1] + 0.5 * f[0] * f[2 % features],
                    2 => 1.5 * Math.Sin(f[3 % features]),
                    3 => -f[0] + f[1],
                    _ => j / 4.0,
                };
                double sd = j < DrivenGenes ? noise : 0.5;
                y[r * genes + j] = (float)(mean + sd * Normal(random));
            }
        }
        var featureType = views == 1 ? ColumnTypes.FloatTensor(features) : ColumnTypes.FloatTensor(views, features);
        return new InMemoryDataView([
            SchemaColumns.Create("Features", featureType),
            SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(genes), GeneNames(genes)),
        ], rows, new Dictionary<string, Array> { ["Features"] = x, ["Expression"] = y });
    }

    /// <summary>
    /// The noise the in-process sampler draws, laid out as the ONNX sampler's noise input [spots, draws, slots, genes]: spot
    /// s's generator (seeded from the prediction seed and s) drawn once for x_T and once per stochastic step.
    /// </summary>
    public static float[] SamplerNoise(int predictionSeed, int spots, int draws, int slots, int genes)
    {
        var noise = new float[spots * draws * slots * genes];
        for (int s = 0; s < spots; s++)
        {
            using var generator = new MlNetStem.Torch.Generator(MlNetStem.Trainers.Diffusion.SeedMixer.Mix(predictionSeed, s, 3));
            for (int k = 0; k < slots; k++)
            {
                using var scope = MlNetStem.Torch.Tensor.NewScope();
                var values = MlNetStem.Torch.Tensor.RandN([draws, genes], generator).ToFloatArray();
                for (int d = 0; d < draws; d++)
                    values.AsSpan(d * genes, genes).CopyTo(noise.AsSpan(((s * draws + d) * slots + k) * genes));
            }
        }
        return noise;
    }

    public static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public static InMemoryDataView FeaturesOnly(float[] features, int width) =>
        new([SchemaColumns.Create("Features", ColumnTypes.FloatTensor(width))], features.Length / width,
            new Dictionary<string, Array> { ["Features"] = features });

    public static float[] Column(IDataView data, string name, int batchSize = 256) =>
        data.ReadBatches([name], batchSize).SelectMany(b => b.GetFloats(name)).ToArray();

    /// <summary>Redraws every weight of the model's denoiser at a realistic scale (adaLN-Zero starts with zero gates and a
    /// zero output layer, which would make any export look right).</summary>
    public static StemDiffusionTransformer RandomizeWeights(StemDiffusionTransformer model)
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
}
