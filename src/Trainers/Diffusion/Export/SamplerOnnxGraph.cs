using MlNetStem.Onnx;
using MlNetStem.Onnx.Writer;
using MlNetStem.Torch.Nn;
using MlNetStem.Trainers.Mlp;

namespace MlNetStem.Trainers.Diffusion.Export;

/// <summary>
/// The whole prediction as one ONNX model: standardize the embedding, repeat it for every draw, start from x_T, run an
/// ONNX Loop over the sampler's steps (the denoiser inside the loop body, the per-step schedule constants as initializers
/// gathered by the loop counter), map the draws back to label units and average them. Each step repeats the arithmetic of
/// <see cref="GaussianDiffusion.Sample"/> in the same order, so with the same noise the results agree to float rounding.
/// </summary>
internal sealed class SamplerOnnxGraph
{
    private readonly DiffusionSampler _sampler;
    private readonly NoiseSchedule _schedule;
    private readonly int _count;
    private readonly double _eta;

    public SamplerOnnxGraph(GaussianDiffusion diffusion, DiffusionSampler sampler, int steps, double eta)
    {
        _sampler = sampler;
        int count = sampler == DiffusionSampler.Ddpm ? diffusion.Steps : steps;
        int fewest = sampler == DiffusionSampler.DpmSolver2M ? 2 : 1;
        if (count < fewest || count > diffusion.Steps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"{sampler} sampling steps must be in [{fewest}, {diffusion.Steps}].");
        if (!(eta >= 0) || double.IsInfinity(eta)) throw new ArgumentOutOfRangeException(nameof(eta), eta, "Eta must be a finite non-negative number.");
        if (!Enum.IsDefined(sampler)) throw new ArgumentOutOfRangeException(nameof(sampler), sampler, "Unknown sampler.");
        _eta = eta;
        // The same respacing as GaussianDiffusion.Sample (the parity tests catch any drift).
        _schedule = sampler == DiffusionSampler.DpmSolver2M
            ? diffusion.Schedule.Respace(diffusion.Schedule.LogSnrSpacedTimesteps(count))
            : diffusion.Schedule.Respace(count);
        _count = _schedule.Length;   // log-SNR spacing may merge steps
        NoiseIndex = new long[_count];
        int slots = 1;
        for (int j = 0; j < _count; j++)
            if (IsStochastic(Index(j))) NoiseIndex[j] = slots++;
        NoiseSlots = slots;
    }

    /// <summary>Noise tensors one draw consumes: x_T plus one per stochastic step.</summary>
    public int NoiseSlots { get; }

    /// <summary>Noise slot of each loop iteration (0 for deterministic iterations, whose noise is multiplied by 0).</summary>
    private long[] NoiseIndex { get; }

    /// <summary>Loop iteration j handles schedule index i = count − 1 − j.</summary>
    private int Index(int j) => _count - 1 - j;

    private double Sigma(int i)
    {
        double ab = _schedule.AlphasCumprod[i], abPrev = _schedule.AlphasCumprodPrev[i];
        return _eta * Math.Sqrt((1 - abPrev) / (1 - ab)) * Math.Sqrt(1 - ab / abPrev);
    }

    private bool IsStochastic(int i) => i > 0 && _sampler switch
    {
        DiffusionSampler.Ddpm or DiffusionSampler.RespacedDdpm => true,
        DiffusionSampler.Ddim => Sigma(i) > 0,
        _ => false,
    };

    private float[] Table(Func<int, int, double> value) => Enumerable.Range(0, _count).Select(j => (float)value(j, Index(j))).ToArray();

    /// <param name="network">The denoiser.</param>
    /// <param name="heads">DiT attention heads.</param>
    /// <param name="layout">The condition's parts: the embedding input, and HisDiff's context inputs concatenated after it.</param>
    /// <param name="features">Condition standardization.</param>
    /// <param name="labels">Label standardization (the draws are mapped back with it).</param>
    /// <param name="clip">Bounds every denoised estimate is clamped to, in standardized units, or null for none.</param>
    /// <param name="prior">The ridge mean the draws are residuals of, or null.</param>
    /// <param name="antithetic">Noise drawn in the graph pairs each spot's draws as the in-process antithetic sampler does
    /// (the second half negates the first); ignored with a noise input, which the caller fills.</param>
    /// <param name="draws">Draws per spot.</param>
    /// <param name="noiseInput">Noise as an input rather than computed in the graph.</param>
    /// <param name="seed">Default of the <see cref="StemOnnxExporter.SeedInput"/> input of the in-graph noise.</param>
    /// <param name="genes">Gene names for the metadata.</param>
    /// <param name="intervalLevels">Central interval levels (e.g. 0.8) to output as quantiles of the draws, or none.</param>
    /// <param name="intervalScale">Calibration scale of a level's interval around its centre (1: raw quantiles).</param>
    /// <exception cref="ArgumentOutOfRangeException">Draws are below 1, or too many for the in-graph noise.</exception>
    public OnnxGraphBuilder Build(Module network, int heads, ConditionLayout layout, Standardization features, Standardization labels,
        (float[] Lower, float[] Upper)? clip, RidgePrior? prior, int draws, bool antithetic, bool noiseInput, int seed, IReadOnlyList<string>? genes,
        IReadOnlyList<double>? intervalLevels = null, Func<double, double>? intervalScale = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 1);
        int c = features.Width, g = labels.Width;
        var graph = new OnnxGraphBuilder("stem_sampler")
        {
            DocString = $"MlNetStem {(layout.HasContext ? "HisDiff" : "Stem")} diffusion: {StemOnnxExporter.EmbeddingInput} [N, {layout.Embedding}]" +
                $"{(layout.HasContext ? $" and context sets of [{string.Join(", ", layout.ContextSizes)}] spots" : "")} → expression [N, {g}], mean of {draws} draws of {_sampler} over {_count} steps.",
        };
        string Text(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        bool pairDraws = antithetic && !noiseInput && draws >= 2;
        graph.AddMetadata("mlnetstem.component", "StemDiffusion");
        graph.AddMetadata("sampler", _sampler.ToString());
        graph.AddMetadata("steps", Text(_count));
        graph.AddMetadata("draws", Text(draws));
        graph.AddMetadata("clip_denoised", clip is null ? "false" : "true");
        graph.AddMetadata("mean_prior", prior is null ? "none" : "ridge");
        graph.AddMetadata("antithetic", pairDraws ? "true" : "false");
        graph.AddMetadata("noise_slots", Text(NoiseSlots));
        if (!noiseInput)
        {
            graph.AddMetadata("noise", SeededNoiseGraph.SchemeName);
            graph.AddMetadata("seed", Text(seed));
        }
        if (genes is not null) graph.AddMetadata("genes", string.Join('\n', genes));
        var ops = new OnnxGraphOps(graph);

        var (visibleCondition, condition) = ConditionOnnxGraph.Emit(ops, layout, features, visible: !noiseInput);
        string noise = noiseInput ? graph.AddInput(StemOnnxExporter.NoiseInput, OnnxElementType.Float, "N", draws, NoiseSlots, g) : "";
        // In-graph noise: antithetic pairs compute D − D/2 draws and negate D/2 of them, as in process.
        var seeded = noiseInput ? null : new SeededNoiseGraph(ops, visibleCondition, c,
            graph.AddInputWithDefault(StemOnnxExporter.SeedInput, [seed]), pairDraws ? draws - draws / 2 : draws, g);
        string[] pair = pairDraws ? [ops.Int64s("pair_start", 0), ops.Int64s("pair_end", draws / 2), ops.Int64s("pair_axis", 1)] : [];
        // Standard normals [N·D, G] of noise slot `slot` (an int64 scalar).
        string Gaussian(OnnxGraphOps o, string slot)
        {
            string z = seeded!.Normals(o, slot);
            if (pairDraws) z = o.Graph.AddNode("Concat", [z, o.Node("Neg", o.Node("Slice", [z, .. pair]))], OnnxAttribute.Int("axis", 1));
            return o.Reshape(z, -1, g);
        }
        string rows = ops.Reshape(ops.Node("Expand", ops.Unsqueeze(condition, 1), ops.Int64s("draw_repeat", 1, draws, 1)), -1, c);  // [N·D, C]

        // The condition-only part of the denoiser runs once, outside the loop.
        string embeddedRows = DenoiserOnnxGraph.EmbedCondition(ops, network, rows);

        string initialSlot = ops.Int64("noise_slot_initial", 0);
        string initial = noiseInput ? ops.Reshape(ops.Gather(noise, initialSlot, 2), -1, g) : Gaussian(ops, initialSlot);

        // Per-iteration constants, indexed by the loop counter.
        string k1 = ops.Floats("x0_from_x", Table((_, i) => Math.Sqrt(1 / _schedule.AlphasCumprod[i])), _count);
        string k2 = ops.Floats("x0_from_eps", Table((_, i) => Math.Sqrt(1 / _schedule.AlphasCumprod[i] - 1)), _count);
        string timesteps = ops.Floats("timestep", Table((_, i) => _schedule.TimestepMap[i]), _count);
        bool stochastic = NoiseSlots > 1;
        // Only stochastic samplers read the slot table: no unused initializer (ONNX Runtime warns of one on every load).
        string noiseIndex = stochastic ? ops.Graph.AddInitializer("noise_slot", NoiseIndex, _count) : "";
        bool solver = _sampler == DiffusionSampler.DpmSolver2M;

        var body = graph.CreateSubgraph("sampling_step");
        var b = new OnnxGraphOps(body);
        string iter = body.AddInput("step_index", OnnxElementType.Int64);
        string condIn = body.AddInput("step_cond_in", OnnxElementType.Bool);
        string x = body.AddInput("step_x_in", OnnxElementType.Float, null);
        string previous = solver ? body.AddInput("step_previous_in", OnnxElementType.Float, null) : "";
        string At(string table) => b.Gather(table, iter);
        string batch = b.Gather(b.Node("Shape", x), b.Int64s("axis0", 0));
        string t = b.Node("Expand", At(timesteps), batch);
        var (eps, v) = DenoiserOnnxGraph.EmitEmbedded(b, network, heads, x, t, embeddedRows);
        string scaled = b.Mul(x, At(k1));
        string x0 = b.Sub(scaled, b.Mul(eps, At(k2)));
        if (clip is { } bounds)
        {
            x0 = b.Node("Min", b.Node("Max", x0, ops.Floats("clip_lower", bounds.Lower, 1, g)), ops.Floats("clip_upper", bounds.Upper, 1, g));
            eps = b.Node("Div", b.Sub(scaled, x0), At(k2));
        }
        string Noise() => noiseInput
            ? b.Reshape(b.Gather(noise, At(noiseIndex), 2), -1, g)
            : Gaussian(b, At(noiseIndex));
        string next, previousOut = "";
        switch (_sampler)
        {
            case DiffusionSampler.Ddpm:
            case DiffusionSampler.RespacedDdpm:
            {
                string mean = b.Add(b.Mul(x0, At(ops.Floats("posterior_mean_x0", Table((_, i) => _schedule.PosteriorMeanCoef1[i]), _count))),
                    b.Mul(x, At(ops.Floats("posterior_mean_xt", Table((_, i) => _schedule.PosteriorMeanCoef2[i]), _count))));
                if (stochastic)
                {
                    string one = b.Scalar("one", 1), half = b.Scalar("half", 0.5);
                    // Clamped to [0, 1] as in process: the variance stays between its two bounds for any input.
                    string frac = b.Node("Clip", b.Mul(b.Add(v, one), half), b.Scalar("frac_min", 0), one);
                    string logVariance = b.Add(b.Mul(frac, At(ops.Floats("log_beta", Table((_, i) => _schedule.LogBetas[i]), _count))),
                        b.Mul(b.Sub(one, frac), At(ops.Floats("posterior_log_variance", Table((_, i) => _schedule.PosteriorLogVarianceClipped[i]), _count))));
                    string mask = At(ops.Floats("noise_mask", Table((_, i) => IsStochastic(i) ? 1 : 0), _count));
                    mean = b.Add(mean, b.Mul(b.Mul(b.Node("Exp", b.Mul(logVariance, half)), Noise()), mask));
                }
                next = mean;
                break;
            }
            case DiffusionSampler.Ddim:
            {
                string mean = b.Add(b.Mul(x0, At(ops.Floats("ddim_x0", Table((_, i) => Math.Sqrt(_schedule.AlphasCumprodPrev[i])), _count))),
                    b.Mul(eps, At(ops.Floats("ddim_eps", Table((_, i) =>
                    {
                        double sigma = Sigma(i), abPrev = _schedule.AlphasCumprodPrev[i];
                        return Math.Sqrt(Math.Max(0, 1 - abPrev - sigma * sigma));
                    }), _count))));
                if (stochastic)
                    mean = b.Add(mean, b.Mul(Noise(), At(ops.Floats("ddim_sigma", Table((_, i) => IsStochastic(i) ? Sigma(i) : 0), _count))));
                next = mean;
                break;
            }
            case DiffusionSampler.DpmSolver2M:
            {
                var (a, bb, ratio, coef) = SolverTables();
                string d1 = b.Sub(b.Mul(x0, At(ops.Floats("solver_d", a, _count))), b.Mul(previous, At(ops.Floats("solver_previous", bb, _count))));
                next = b.Sub(b.Mul(x, At(ops.Floats("solver_x", ratio, _count))), b.Mul(d1, At(ops.Floats("solver_step", coef, _count))));
                previousOut = b.Node("Identity", x0);
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(_sampler), _sampler, "Unknown sampler.");
        }
        body.AddOutput(b.Node("Identity", condIn), OnnxElementType.Bool);
        body.AddOutput(next, OnnxElementType.Float, null);
        if (solver) body.AddOutput(previousOut, OnnxElementType.Float, null);

        string final = "x_final";
        string[] loopInputs = solver
            ? [ops.Int64("iterations", _count), "", initial, ops.Mul(initial, ops.Scalar("zero", 0))]
            : [ops.Int64("iterations", _count), "", initial];
        string[] loopOutputs = solver ? [final, "previous_final"] : [final];
        graph.AddNode("Loop", "", loopInputs, loopOutputs, OnnxAttribute.Graph("body", body));

        // A mean prior's draws are residuals: add the ridge mean of the (standardized) condition before un-standardizing.
        if (prior is not null) final = ops.Add(final, ConditionOnnxGraph.PriorMean(ops, prior, rows, c, g));
        string labelsOut = ops.Add(ops.Mul(final, ops.Floats("label_std", labels.Std, g)), ops.Floats("label_mean", labels.Mean, g));
        graph.AddNode("Reshape", "", [labelsOut, ops.Int64s("draws_shape", -1, draws, g)], [StemOnnxExporter.DrawsOutput]);
        graph.AddNode("ReduceMean", "", [StemOnnxExporter.DrawsOutput], [StemOnnxExporter.ExpressionOutput],
            OnnxAttribute.Ints("axes", 1), OnnxAttribute.Int("keepdims", 0));
        string centered = ops.Sub(StemOnnxExporter.DrawsOutput, ops.Unsqueeze(StemOnnxExporter.ExpressionOutput, 1));
        graph.AddNode("Sqrt", "", [ops.ReduceMean(ops.Mul(centered, centered), 1)], [StemOnnxExporter.StdOutput]);
        graph.AddOutput(StemOnnxExporter.ExpressionOutput, OnnxElementType.Float, "N", g);
        graph.AddOutput(StemOnnxExporter.StdOutput, OnnxElementType.Float, "N", g);
        graph.AddOutput(StemOnnxExporter.DrawsOutput, OnnxElementType.Float, "N", draws, g);
        if (intervalLevels is { Count: > 0 })
        {
            AddIntervals(ops, intervalLevels, draws, g, intervalScale ?? (_ => 1));
            // Fixed names for the first level, whatever it is, so a consumer need not know the levels.
            graph.AddNode("Identity", "", [StemOnnxExporter.LowerOutput(intervalLevels[0])], [StemOnnxExporter.FirstLowerOutput]);
            graph.AddNode("Identity", "", [StemOnnxExporter.UpperOutput(intervalLevels[0])], [StemOnnxExporter.FirstUpperOutput]);
            graph.AddOutput(StemOnnxExporter.FirstLowerOutput, OnnxElementType.Float, "N", g);
            graph.AddOutput(StemOnnxExporter.FirstUpperOutput, OnnxElementType.Float, "N", g);
        }
        return graph;
    }

    /// <summary>
    /// Central quantile intervals of the draws per spot and gene, as the in-process sampler computes them: the draws sorted,
    /// then NumPy's linear-interpolation quantile at (1 ∓ level) / 2, then scaled around their centre by the level's
    /// calibration scale s: lower = lo·(1 + s)/2 + hi·(1 − s)/2, upper = lo·(1 − s)/2 + hi·(1 + s)/2.
    /// </summary>
    private static void AddIntervals(OnnxGraphOps ops, IReadOnlyList<double> levels, int draws, int g, Func<double, double> scaleOf)
    {
        var graph = ops.Graph;
        const string sorted = "draws_sorted";
        graph.AddNode("TopK", "", [StemOnnxExporter.DrawsOutput, ops.Int64s("interval_k", draws)], [sorted, "draws_sorted_index"],
            OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("largest", 0), OnnxAttribute.Int("sorted", 1));
        foreach (double level in levels)
        {
            string suffix = StemDiffusionTransformer.LevelSuffix(level);
            double scale = scaleOf(level);
            var raw = new List<string>();
            foreach (var (q, output) in new[] { ((1 - level) / 2, StemOnnxExporter.LowerOutput(level)), ((1 + level) / 2, StemOnnxExporter.UpperOutput(level)) })
            {
                double position = q * (draws - 1);
                int below = (int)Math.Floor(position), above = Math.Min(below + 1, draws - 1);
                string tag = $"{suffix}_{(q < 0.5 ? "lower" : "upper")}";
                string low = ops.Gather(sorted, ops.Int64($"q{tag}_below", below), 1);
                string high = ops.Gather(sorted, ops.Int64($"q{tag}_above", above), 1);
                string step = ops.Mul(ops.Sub(high, low), ops.Scalar($"q{tag}_fraction", (float)(position - below)));
                if (scale == 1)
                {
                    graph.AddNode("Add", "", [low, step], [output]);
                    graph.AddOutput(output, OnnxElementType.Float, "N", g);
                }
                else raw.Add(ops.Add(low, step));
            }
            if (scale == 1) continue;
            string wide = ops.Scalar($"q{suffix}_scale_plus", (1 + scale) / 2), narrow = ops.Scalar($"q{suffix}_scale_minus", (1 - scale) / 2);
            graph.AddNode("Add", "", [ops.Mul(raw[0], wide), ops.Mul(raw[1], narrow)], [StemOnnxExporter.LowerOutput(level)]);
            graph.AddNode("Add", "", [ops.Mul(raw[0], narrow), ops.Mul(raw[1], wide)], [StemOnnxExporter.UpperOutput(level)]);
            graph.AddOutput(StemOnnxExporter.LowerOutput(level), OnnxElementType.Float, "N", g);
            graph.AddOutput(StemOnnxExporter.UpperOutput(level), OnnxElementType.Float, "N", g);
        }
    }

    /// <summary>DPM-Solver++(2M) as one update per iteration: next = x·ratio − (x0·a − previous·b)·coef; the final iteration
    /// (a = 1, b = 0, ratio = 0, coef = −1) returns the denoised estimate, as the in-process solver's final step does.</summary>
    private (float[] A, float[] B, float[] Ratio, float[] Coef) SolverTables()
    {
        double Alpha(int i) => Math.Sqrt(_schedule.AlphasCumprod[i]);
        double SigmaOf(int i) => Math.Sqrt(1 - _schedule.AlphasCumprod[i]);
        double Lambda(int i) => Math.Log(Alpha(i)) - Math.Log(SigmaOf(i));
        var a = new float[_count];
        var b = new float[_count];
        var ratio = new float[_count];
        var coef = new float[_count];
        double previousH = 0;
        for (int j = 0; j < _count; j++)
        {
            int i = Index(j);
            if (i == 0)
            {
                (a[j], b[j], ratio[j], coef[j]) = (1, 0, 0, -1);
                continue;
            }
            double h = Lambda(i - 1) - Lambda(i);
            // First order on the first step (no history) and on the last one (lower_order_final), as in process.
            if (j == 0 || i == 1) (a[j], b[j]) = (1, 0);
            else
            {
                double r = previousH / h;
                (a[j], b[j]) = ((float)(1 + 1 / (2 * r)), (float)(1 / (2 * r)));
            }
            ratio[j] = (float)(SigmaOf(i - 1) / SigmaOf(i));
            coef[j] = (float)(Alpha(i - 1) * (Math.Exp(-h) - 1));
            previousH = h;
        }
        return (a, b, ratio, coef);
    }
}
