using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MlNetStem.Diffusion.Tests;

/// <summary>
/// The export README's "run the denoiser alone" recipe, written as a consumer would: ancestral DDPM over all T training
/// steps with nothing but the exported denoiser file, its schedule, label standardization and clip bounds read from the
/// model's metadata through stock ONNX Runtime (no MlNetStem code), in double precision.
/// </summary>
internal sealed class StandaloneDdpm : IDisposable
{
    private readonly InferenceSession _session;
    private readonly double[] _betas;
    private readonly double[] _alphasCumprod;
    private readonly double[] _labelMean;
    private readonly double[] _labelStd;
    private readonly double[]? _clipLower;
    private readonly double[]? _clipUpper;

    public StandaloneDdpm(string path)
    {
        _session = new InferenceSession(path);
        var meta = _session.ModelMetadata.CustomMetadataMap;
        double[] Numbers(string key) => meta[key].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        _betas = Numbers("schedule_betas");
        _alphasCumprod = Numbers("schedule_alphas_cumprod");
        _labelMean = Numbers("label_mean");
        _labelStd = Numbers("label_std");
        if (meta["clip_denoised"] == "true") (_clipLower, _clipUpper) = (Numbers("clip_lower"), Numbers("clip_upper"));
        Steps = int.Parse(meta["diffusion_steps"], CultureInfo.InvariantCulture);
        Genes = _labelMean.Length;
    }

    /// <summary>T, the training steps (the noise input has one slot for x_T and one per step t = T−1 … 1).</summary>
    public int Steps { get; }

    public int Genes { get; }

    /// <summary>
    /// Draws [spots, draws, G] in label units. <paramref name="condition"/>: each condition input's name, values of all
    /// spots and the shape of one spot (e.g. [C]); <paramref name="noise"/>: [spots, draws, T, G] standard normals, slot 0 for
    /// x_T and slot T − t for step t, as the sampler export's noise input.
    /// </summary>
    public double[] Sample(IReadOnlyList<(string Name, float[] Values, long[] SpotShape)> condition, int spots, int draws, float[] noise)
    {
        int g = Genes, rows = spots * draws, slots = Steps;
        // Every draw is a row of its own: each spot's condition repeated D times.
        var inputs = condition.Select(c =>
        {
            int width = (int)c.SpotShape.Aggregate(1L, (a, b) => a * b);
            var repeated = new float[rows * width];
            for (int r = 0; r < rows; r++) c.Values.AsSpan(r / draws * width, width).CopyTo(repeated.AsSpan(r * width));
            return NamedOnnxValue.CreateFromTensor(c.Name, new DenseTensor<float>(repeated, [rows, .. c.SpotShape.Select(d => (int)d)]));
        }).ToList();
        double Noise(int row, int slot, int j) => noise[((long)row * slots + slot) * g + j];

        var x = new double[rows * g];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < g; j++) x[r * g + j] = Noise(r, 0, j);
        float[] prior = new float[rows * g];
        for (int t = Steps - 1; t >= 0; t--)
        {
            var (eps, v, priorMean) = Denoise(inputs, x, t, rows);
            prior = priorMean;
            double beta = _betas[t], ab = _alphasCumprod[t], abPrev = t > 0 ? _alphasCumprod[t - 1] : 1;
            double coef1 = beta * Math.Sqrt(abPrev) / (1 - ab), coef2 = (1 - abPrev) * Math.Sqrt(1 - beta) / (1 - ab);
            double logPosterior = Math.Log(beta * (1 - abPrev) / (1 - ab));
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < g; j++)
                {
                    int i = r * g + j;
                    double x0 = Math.Sqrt(1 / ab) * x[i] - Math.Sqrt(1 / ab - 1) * eps[i];
                    if (_clipLower is not null) x0 = Math.Clamp(x0, _clipLower[j], _clipUpper![j]);
                    double mean = coef1 * x0 + coef2 * x[i];
                    if (t > 0)
                    {
                        double frac = Math.Clamp((v[i] + 1) / 2, 0, 1);
                        mean += Math.Exp(0.5 * (frac * Math.Log(beta) + (1 - frac) * logPosterior)) * Noise(r, Steps - t, j);
                    }
                    x[i] = mean;
                }
        }
        // Residuals around the prior mean (zeros without one), then back to label units.
        var result = new double[rows * g];
        for (int i = 0; i < result.Length; i++) result[i] = (x[i] + prior[i]) * _labelStd[i % g] + _labelMean[i % g];
        return result;
    }

    private (float[] Eps, float[] V, float[] Prior) Denoise(List<NamedOnnxValue> condition, double[] x, int t, int rows)
    {
        var feeds = new List<NamedOnnxValue>(condition)
        {
            NamedOnnxValue.CreateFromTensor("x_t", new DenseTensor<float>(x.Select(v => (float)v).ToArray(), [rows, Genes])),
            NamedOnnxValue.CreateFromTensor("t", new DenseTensor<float>(Enumerable.Repeat((float)t, rows).ToArray(), [rows])),
        };
        using var results = _session.Run(feeds);
        float[] Output(string name) => results.Single(o => o.Name == name).AsTensor<float>().ToArray();
        return (Output("eps"), Output("v"), Output("prior_mean"));
    }

    public void Dispose() => _session.Dispose();
}
