using MlNetStem.Torch;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// IDDPM's Gaussian diffusion with ε-prediction and learned-range variance: the hybrid training loss
/// (MSE(ε) + VB with a stop-gradient on the mean, VB scaled by T/1000) and the samplers. Callers open a DisposeScope.
/// </summary>
internal sealed class GaussianDiffusion : IDisposable
{
    private readonly Tensor _sqrtAlphasCumprod;
    private readonly Tensor _sqrtOneMinusAlphasCumprod;
    private readonly Tensor _sqrtRecipAlphasCumprod;
    private readonly Tensor _sqrtRecipM1AlphasCumprod;
    private readonly Tensor _posteriorMeanCoef1;
    private readonly Tensor _posteriorMeanCoef2;
    private readonly Tensor _posteriorLogVarianceClipped;
    private readonly Tensor _logBetas;
    private readonly Tensor _zero;

    public GaussianDiffusion(int steps)
    {
        Schedule = NoiseSchedule.Linear(steps);
        var s = Schedule;
        Tensor F(Func<int, double> f) =>
            Tensor.FromArray(Enumerable.Range(0, s.Length).Select(i => (float)f(i)).ToArray(), [s.Length]).DetachFromDisposeScope();
        _sqrtAlphasCumprod = F(i => Math.Sqrt(s.AlphasCumprod[i]));
        _sqrtOneMinusAlphasCumprod = F(i => Math.Sqrt(1 - s.AlphasCumprod[i]));
        _sqrtRecipAlphasCumprod = F(i => Math.Sqrt(1 / s.AlphasCumprod[i]));
        _sqrtRecipM1AlphasCumprod = F(i => Math.Sqrt(1 / s.AlphasCumprod[i] - 1));
        _posteriorMeanCoef1 = F(i => s.PosteriorMeanCoef1[i]);
        _posteriorMeanCoef2 = F(i => s.PosteriorMeanCoef2[i]);
        _posteriorLogVarianceClipped = F(i => s.PosteriorLogVarianceClipped[i]);
        _logBetas = F(i => s.LogBetas[i]);
        _zero = Tensor.Zeros([1], DType.Int64).DetachFromDisposeScope();
    }

    public NoiseSchedule Schedule { get; }

    public int Steps => Schedule.Length;

    private static Tensor At(Tensor table, Tensor t) => table.IndexSelect(0, t).Unsqueeze(1);

    /// <summary>The hybrid loss averaged over the batch.</summary>
    /// <param name="model">Denoiser.</param>
    /// <param name="x0">Clean targets [B, G].</param>
    /// <param name="condition">Conditions [B, C].</param>
    /// <param name="t">Timesteps, int64 [B] in [0, T).</param>
    /// <param name="noise">Standard normal [B, G].</param>
    public Tensor TrainingLoss(IDenoiser model, Tensor x0, Tensor condition, Tensor t, Tensor noise)
    {
        var xt = At(_sqrtAlphasCumprod, t) * x0 + At(_sqrtOneMinusAlphasCumprod, t) * noise;
        var (eps, v) = model.Forward(xt, t.To(DType.Float32), condition);
        var mse = (noise - eps).Square().Mean(1);

        var c1 = At(_posteriorMeanCoef1, t);
        var c2 = At(_posteriorMeanCoef2, t);
        var minLog = At(_posteriorLogVarianceClipped, t);
        var maxLog = At(_logBetas, t);
        var trueMean = c1 * x0 + c2 * xt;
        var predictedX0 = At(_sqrtRecipAlphasCumprod, t) * xt - At(_sqrtRecipM1AlphasCumprod, t) * eps.Detach();
        var modelMean = c1 * predictedX0 + c2 * xt;
        var frac = (v + 1) * 0.5;
        var modelLogVariance = frac * maxLog + (1 - frac) * minLog;
        var kl = NormalKl(trueMean, minLog, modelMean, modelLogVariance).Mean(1) / Math.Log(2);
        var nll = -DiscretizedGaussianLogLikelihood(x0, modelMean, modelLogVariance * 0.5).Mean(1) / Math.Log(2);
        var vb = Tensor.Where(t.Eq(_zero), nll, kl) * (Steps / 1000.0);
        return (mse + vb).Mean();
    }

    private static Tensor NormalKl(Tensor mean1, Tensor logVar1, Tensor mean2, Tensor logVar2) =>
        (logVar2 - logVar1 + (logVar1 - logVar2).Exp() + (mean1 - mean2).Square() * (-logVar2).Exp() - 1) * 0.5;

    private static Tensor ApproxStandardNormalCdf(Tensor x) =>
        ((x + x.Pow(3) * 0.044715) * Math.Sqrt(2.0 / Math.PI)).Tanh().Add(1) * 0.5;

    private static Tensor DiscretizedGaussianLogLikelihood(Tensor x, Tensor means, Tensor logScales)
    {
        var centered = x - means;
        var invStd = (-logScales).Exp();
        var cdfPlus = ApproxStandardNormalCdf(invStd * (centered + 1.0 / 255));
        var cdfMin = ApproxStandardNormalCdf(invStd * (centered - 1.0 / 255));
        var logCdfPlus = cdfPlus.Clamp(min: 1e-12).Log();
        var logOneMinusCdfMin = (1 - cdfMin).Clamp(min: 1e-12).Log();
        var logCdfDelta = (cdfPlus - cdfMin).Clamp(min: 1e-12).Log();
        var low = x.Lt(Tensor.Full([1], -0.999));
        var high = x.Gt(Tensor.Full([1], 0.999));
        return Tensor.Where(low, logCdfPlus, Tensor.Where(high, logOneMinusCdfMin, logCdfDelta));
    }

    /// <summary>
    /// Draws x_0 for every row of <paramref name="condition"/>. <paramref name="noise"/> returns fresh standard normals [N, G]
    /// (called once for x_T and once per stochastic step). When <paramref name="clip"/> is given, every denoised estimate is
    /// clamped into [Lower, Upper] ([1, G] each) and ε re-derived from it, as IDDPM's clip_denoised. Runs without gradients.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The step count is outside [1, T] (or [2, T] for DPM-Solver++).</exception>
    public Tensor Sample(IDenoiser model, Tensor condition, Func<Tensor> noise, DiffusionSampler sampler, int steps, double eta,
        (Tensor Lower, Tensor Upper)? clip = null)
    {
        using var noGrad = new NoGradScope();
        int count = sampler == DiffusionSampler.Ddpm ? Steps : steps;
        if (count < (sampler == DiffusionSampler.DpmSolver2M ? 2 : 1) || count > Steps) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"Sampling steps must be in [1, {Steps}].");
        var schedule = sampler == DiffusionSampler.DpmSolver2M ? Schedule.Respace(Schedule.LogSnrSpacedTimesteps(count)) : Schedule.Respace(count);
        long n = condition.Shape[0];
        var embedded = model.EmbedCondition(condition);
        var initial = noise();
        var x = initial;
        void Advance(Tensor next)
        {
            var old = x;
            x = next.MoveToOuterScope();
            if (!ReferenceEquals(old, initial)) old.Dispose();
        }
        (Tensor X0, Tensor Eps, Tensor V) Predict(Tensor xt, int i)
        {
            var (eps, v) = model.ForwardEmbedded(xt, Tensor.Full([n], schedule.TimestepMap[i]), embedded);
            double ac = schedule.AlphasCumprod[i];
            var x0 = xt * Math.Sqrt(1 / ac) - eps * Math.Sqrt(1 / ac - 1);
            if (clip is { } bounds)
            {
                x0 = x0.Maximum(bounds.Lower).Minimum(bounds.Upper);
                eps = (xt * Math.Sqrt(1 / ac) - x0) / Math.Sqrt(1 / ac - 1);
            }
            return (x0, eps, v);
        }
        switch (sampler)
        {
            case DiffusionSampler.Ddpm:
            case DiffusionSampler.RespacedDdpm:
                for (int i = count - 1; i >= 0; i--)
                {
                    using var step = Tensor.NewScope();
                    var (x0, _, v) = Predict(x, i);
                    var mean = x0 * schedule.PosteriorMeanCoef1[i] + x * schedule.PosteriorMeanCoef2[i];
                    if (i > 0)
                    {
                        // The learned range interpolates between the two bounds: frac outside [0, 1] (an input far from the
                        // training data) would make exp overflow into infinite, then NaN, draws.
                        var frac = ((v + 1) * 0.5).Clamp(0, 1);
                        var logVariance = frac * schedule.LogBetas[i] + (1 - frac) * schedule.PosteriorLogVarianceClipped[i];
                        mean = mean + (logVariance * 0.5).Exp() * noise();
                    }
                    Advance(mean);
                }
                return x;
            case DiffusionSampler.Ddim:
                for (int i = count - 1; i >= 0; i--)
                {
                    using var step = Tensor.NewScope();
                    var (x0, eps, _) = Predict(x, i);
                    double ab = schedule.AlphasCumprod[i], abPrev = schedule.AlphasCumprodPrev[i];
                    double sigma = eta * Math.Sqrt((1 - abPrev) / (1 - ab)) * Math.Sqrt(1 - ab / abPrev);
                    var mean = x0 * Math.Sqrt(abPrev) + eps * Math.Sqrt(Math.Max(0, 1 - abPrev - sigma * sigma));
                    if (i > 0 && sigma > 0) mean = mean + noise() * sigma;
                    Advance(mean);
                }
                return x;
            case DiffusionSampler.DpmSolver2M:
                return DpmSolver2M(schedule, x, xt => Predict(xt, 0).X0, Predict);
            default:
                throw new ArgumentOutOfRangeException(nameof(sampler), sampler, "Unknown sampler.");
        }
    }

    private static Tensor DpmSolver2M(NoiseSchedule schedule, Tensor initial, Func<Tensor, Tensor> finalDenoise,
        Func<Tensor, int, (Tensor X0, Tensor Eps, Tensor V)> predict)
    {
        int count = schedule.Length;
        double Alpha(int i) => Math.Sqrt(schedule.AlphasCumprod[i]);
        double Sigma(int i) => Math.Sqrt(1 - schedule.AlphasCumprod[i]);
        double Lambda(int i) => Math.Log(Alpha(i)) - Math.Log(Sigma(i));
        var x = initial;
        Tensor? previous = null;
        double previousH = 0;
        for (int i = count - 1; i >= 1; i--)
        {
            Tensor next, d;
            using (Tensor.NewScope())
            {
                d = predict(x, i).X0;
                double h = Lambda(i - 1) - Lambda(i);
                var d1 = d;
                // Second order except on the final step, whose λ-jump to t = 0 is far larger than the others
                // (DPM-Solver's lower_order_final): extrapolating across it amplifies errors.
                if (previous is not null && i > 1)
                {
                    double r = previousH / h;
                    d1 = d * (1 + 1 / (2 * r)) - previous * (1 / (2 * r));
                }
                next = (x * (Sigma(i - 1) / Sigma(i)) - d1 * (Alpha(i - 1) * (Math.Exp(-h) - 1))).MoveToOuterScope();
                d.MoveToOuterScope();
                previousH = h;
            }
            previous?.Dispose();
            if (!ReferenceEquals(x, initial)) x.Dispose();
            previous = d;
            x = next;
        }
        Tensor result;
        using (Tensor.NewScope()) result = finalDenoise(x).MoveToOuterScope();
        previous?.Dispose();
        if (!ReferenceEquals(x, initial)) x.Dispose();
        return result;
    }

    public void Dispose()
    {
        foreach (var t in new[] { _sqrtAlphasCumprod, _sqrtOneMinusAlphasCumprod, _sqrtRecipAlphasCumprod, _sqrtRecipM1AlphasCumprod,
            _posteriorMeanCoef1, _posteriorMeanCoef2, _posteriorLogVarianceClipped, _logBetas, _zero })
            t.Dispose();
    }
}
