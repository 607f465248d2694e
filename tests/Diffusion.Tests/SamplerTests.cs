using MlNetStem.Torch;
using MlNetStem.Trainers.Diffusion;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.Diffusion.Tests;

/// <summary>The samplers against the exact denoiser of Gaussian data, where the answer is known: draws ~ N(μ(c), s²).</summary>
public sealed class SamplerTests(ITestOutputHelper output)
{
    private const int Conditions = 4;
    private const int DrawsPerCondition = 400;

    private (double MeanError, double[] Std) Run(float[] sd, DiffusionSampler sampler, int steps, double eta = 0)
    {
        float[] offsets = [0, 1, -2, 0.5f];
        float[] conditions = [-1, 0, 0.5f, 2];
        var denoiser = new AnalyticGaussianDenoiser(offsets, sd);
        using var diffusion = new GaussianDiffusion(1000);
        using var generator = new Generator(17);
        using var scope = Tensor.NewScope();
        int n = Conditions * DrawsPerCondition, g = offsets.Length;
        var condition = Tensor.FromArray(conditions, [Conditions, 1]).Unsqueeze(1).Expand(Conditions, DrawsPerCondition, 1).Reshape(n, 1);
        var x = diffusion.Sample(denoiser, condition, () => Tensor.RandN([n, g], generator), sampler, steps, eta).ToFloatArray();
        double maxError = 0;
        var std = new double[g];
        for (int c = 0; c < Conditions; c++)
            for (int j = 0; j < g; j++)
            {
                var v = Enumerable.Range(0, DrawsPerCondition).Select(i => (double)x[(c * DrawsPerCondition + i) * g + j]).ToArray();
                double m = v.Average();
                maxError = Math.Max(maxError, Math.Abs(m - (conditions[c] + offsets[j])));
                std[j] += Math.Sqrt(v.Sum(a => (a - m) * (a - m)) / v.Length) / Conditions;
            }
        output.WriteLine($"{sampler} {steps} steps η={eta}: max |mean error| {maxError:0.000}, std [{string.Join(", ", std.Select(s => s.ToString("0.000")))}] " +
            $"for s [{string.Join(", ", sd)}]");
        return (maxError, std);
    }

    [Theory]
    [InlineData(DiffusionSampler.Ddpm, 1000, 0.0)]
    [InlineData(DiffusionSampler.RespacedDdpm, 50, 0.0)]
    [InlineData(DiffusionSampler.RespacedDdpm, 10, 0.0)]
    [InlineData(DiffusionSampler.Ddim, 50, 0.0)]
    [InlineData(DiffusionSampler.Ddim, 50, 1.0)]
    [InlineData(DiffusionSampler.DpmSolver2M, 10, 0.0)]
    public void Samplers_WithTheExactDenoiser_DrawFromTheDataDistribution_UnitVariance(DiffusionSampler sampler, int steps, double eta)
    {
        var (error, std) = Run([1, 1, 1, 1], sampler, steps, eta);
        Assert.True(error < 0.2, $"mean error {error}");
        Assert.All(std, s => Assert.InRange(s, 0.9, 1.1));
    }

    [Theory]
    [InlineData(DiffusionSampler.Ddpm, 1000, 0.0)]
    [InlineData(DiffusionSampler.Ddim, 50, 0.0)]
    [InlineData(DiffusionSampler.DpmSolver2M, 10, 0.0)]
    [InlineData(DiffusionSampler.DpmSolver2M, 20, 0.0)]
    public void Samplers_WithTheExactDenoiser_PreserveSmallerVariances(DiffusionSampler sampler, int steps, double eta)
    {
        float[] sd = [0.3f, 0.5f, 0.8f, 1.5f];
        var (error, std) = Run(sd, sampler, steps, eta);
        Assert.True(error < 0.2, $"mean error {error}");
        for (int j = 0; j < sd.Length; j++) Assert.InRange(std[j], sd[j] * 0.88, sd[j] * 1.12);
    }

    [Fact]
    public void Respacing_FollowsIddpm()
    {
        Assert.Equal([0, 111, 222, 333, 444, 555, 666, 777, 888, 999], NoiseSchedule.SpacedTimesteps(1000, 10));
        var full = NoiseSchedule.Linear(1000);
        Assert.Equal(1e-4, full.Betas[0], 12);
        Assert.Equal(0.02, full.Betas[^1], 12);
        Assert.Same(full, full.Respace(1000));
        var spaced = full.Respace(10);
        for (int i = 0; i < 10; i++) Assert.Equal(full.AlphasCumprod[spaced.TimestepMap[i]], spaced.AlphasCumprod[i], 12);
        Assert.Equal(1 - full.AlphasCumprod[111] / full.AlphasCumprod[0], spaced.Betas[1], 12);
        var small = NoiseSchedule.Linear(100);
        Assert.Equal(1e-3, small.Betas[0], 12);
        Assert.Equal(0.2, small.Betas[^1], 12);
    }
}
