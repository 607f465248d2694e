using MlNetStem.Torch;
using MlNetStem.Trainers.Diffusion;

namespace MlNetStem.Diffusion.Tests;

/// <summary>
/// The exact denoiser for data x0 ~ N(μ, s²) per gene with μ = condition[:, 0] + gene offset: E[ε | x_t] =
/// √(1−ᾱ)(x_t − √ᾱ μ)/(ᾱs² + 1 − ᾱ), and v chosen so the learned-range variance equals the exact reverse variance
/// Var(x_{t−1} | x_t) = V·β/(αV + β) with V = ᾱ_{t−1}s² + 1 − ᾱ_{t−1} (on the full training schedule).
/// For s = 1 this is β, i.e. v = 1, which is exact on any respaced schedule too.
/// </summary>
internal sealed class AnalyticGaussianDenoiser(float[] offsets, float[] sd, int conditionSize = 1) : IDenoiser
{
    private readonly NoiseSchedule _schedule = NoiseSchedule.Linear(1000);

    public int GeneCount => offsets.Length;

    public int ConditionSize => conditionSize;

    public (Tensor Epsilon, Tensor Variance) Forward(Tensor noisy, Tensor timesteps, Tensor condition)
    {
        int t = (int)Math.Round(timesteps.ToFloatArray()[0]);
        double ab = _schedule.AlphasCumprod[t], abPrev = _schedule.AlphasCumprodPrev[t], beta = _schedule.Betas[t];
        int g = GeneCount;
        var s2 = sd.Select(v => (double)v * v).ToArray();
        var mu = condition.Narrow(1, 0, 1) + Tensor.FromArray(offsets, [1, g]);
        var denominator = Tensor.FromArray(s2.Select(v => (float)(ab * v + 1 - ab)).ToArray(), [1, g]);
        var eps = (noisy - mu * Math.Sqrt(ab)) * Math.Sqrt(1 - ab) / denominator;
        var v = new float[g];
        for (int j = 0; j < g; j++)
        {
            double previous = abPrev * s2[j] + 1 - abPrev;
            double variance = previous * beta / ((1 - beta) * previous + beta);
            double min = _schedule.PosteriorLogVarianceClipped[t], max = _schedule.LogBetas[t];
            v[j] = max - min < 1e-12 ? 1 : (float)(2 * (Math.Log(variance) - min) / (max - min) - 1);
        }
        return (eps, Tensor.FromArray(v, [1, g]).Expand(noisy.Shape[0], g));
    }
}
