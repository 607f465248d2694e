namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// Discrete Gaussian diffusion schedule in float64, as in IDDPM's GaussianDiffusion: betas, cumulative alphas,
/// the true posterior q(x_{t−1} | x_t, x_0) and its clipped log variance. <see cref="Respace(int[])"/> keeps a subset of
/// steps and recomputes betas from the cumulative alphas; <see cref="TimestepMap"/> maps a respaced index to the
/// training timestep the denoiser is conditioned on.
/// </summary>
internal sealed class NoiseSchedule
{
    private NoiseSchedule(double[] betas, int[] timestepMap)
    {
        int n = betas.Length;
        Betas = betas;
        TimestepMap = timestepMap;
        AlphasCumprod = new double[n];
        AlphasCumprodPrev = new double[n];
        PosteriorVariance = new double[n];
        PosteriorLogVarianceClipped = new double[n];
        PosteriorMeanCoef1 = new double[n];
        PosteriorMeanCoef2 = new double[n];
        LogBetas = new double[n];
        double product = 1;
        for (int i = 0; i < n; i++)
        {
            AlphasCumprodPrev[i] = product;
            product *= 1 - betas[i];
            AlphasCumprod[i] = product;
        }
        for (int i = 0; i < n; i++)
        {
            double ac = AlphasCumprod[i], prev = AlphasCumprodPrev[i];
            PosteriorVariance[i] = betas[i] * (1 - prev) / (1 - ac);
            PosteriorMeanCoef1[i] = betas[i] * Math.Sqrt(prev) / (1 - ac);
            PosteriorMeanCoef2[i] = (1 - prev) * Math.Sqrt(1 - betas[i]) / (1 - ac);
            LogBetas[i] = Math.Log(betas[i]);
        }
        for (int i = 0; i < n; i++)
            PosteriorLogVarianceClipped[i] = Math.Log(n > 1 && i == 0 ? PosteriorVariance[1] : PosteriorVariance[i]);
    }

    /// <summary>Linear schedule of Ho et al. scaled to <paramref name="steps"/>: β from 1e-4·(1000/T) to 0.02·(1000/T).</summary>
    public static NoiseSchedule Linear(int steps)
    {
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "A diffusion needs at least 2 steps.");
        double scale = 1000.0 / steps, start = scale * 1e-4, end = scale * 0.02;
        var betas = new double[steps];
        for (int i = 0; i < steps; i++) betas[i] = start + (end - start) * i / (steps - 1);
        if (betas[^1] >= 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Too few diffusion steps: β reaches 1.");
        return new NoiseSchedule(betas, Enumerable.Range(0, steps).ToArray());
    }

    public int Length => Betas.Length;
    public double[] Betas { get; }
    public double[] LogBetas { get; }
    public double[] AlphasCumprod { get; }
    public double[] AlphasCumprodPrev { get; }
    public double[] PosteriorVariance { get; }
    public double[] PosteriorLogVarianceClipped { get; }
    public double[] PosteriorMeanCoef1 { get; }
    public double[] PosteriorMeanCoef2 { get; }

    /// <summary>Training timestep of each index of this (possibly respaced) schedule.</summary>
    public int[] TimestepMap { get; }

    /// <summary>IDDPM's <c>space_timesteps(T, "count")</c>: <paramref name="count"/> steps evenly spread over [0, T−1], rounded.</summary>
    public static int[] SpacedTimesteps(int total, int count)
    {
        if (count < 1 || count > total)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Sampling steps must be in [1, {total}].");
        if (count == 1) return [0];
        double stride = (total - 1) / (double)(count - 1);
        var taken = new SortedSet<int>();
        for (int i = 0; i < count; i++) taken.Add((int)Math.Round(i * stride, MidpointRounding.ToEven));
        return taken.ToArray();
    }

    /// <summary>
    /// <paramref name="count"/> steps (fewer if two round to the same step) whose log-SNR λ = ½·log(ᾱ/(1 − ᾱ)) is evenly
    /// spread between the last and the first step: the spacing DPM-Solver recommends for few steps.
    /// </summary>
    public int[] LogSnrSpacedTimesteps(int count)
    {
        if (count < 2 || count > Length)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Sampling steps must be in [2, {Length}].");
        var lambda = AlphasCumprod.Select(a => 0.5 * Math.Log(a / (1 - a))).ToArray();   // decreasing in t
        var taken = new SortedSet<int> { 0, Length - 1 };
        int k = Length - 1;
        for (int i = 1; i < count - 1; i++)
        {
            double target = lambda[^1] + (lambda[0] - lambda[^1]) * i / (count - 1);
            while (k > 0 && lambda[k - 1] <= target) k--;
            taken.Add(k > 0 && Math.Abs(lambda[k - 1] - target) < Math.Abs(lambda[k] - target) ? k - 1 : k);
        }
        return taken.ToArray();
    }

    /// <summary>The schedule restricted to <paramref name="count"/> evenly spaced training steps.</summary>
    public NoiseSchedule Respace(int count) => count == Length ? this : Respace(SpacedTimesteps(Length, count));

    /// <summary>The schedule restricted to the given increasing training steps (IDDPM's respacing).</summary>
    public NoiseSchedule Respace(int[] keep)
    {
        var betas = new double[keep.Length];
        double last = 1;
        for (int i = 0; i < keep.Length; i++)
        {
            double ac = AlphasCumprod[keep[i]];
            betas[i] = 1 - ac / last;
            last = ac;
        }
        return new NoiseSchedule(betas, keep.Select(k => TimestepMap[k]).ToArray());
    }
}
