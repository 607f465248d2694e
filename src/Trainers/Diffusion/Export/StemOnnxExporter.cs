using MlNetStem.Onnx;
using MlNetStem.Onnx.Writer;
using MlNetStem.Trainers.Mlp;

namespace MlNetStem.Trainers.Diffusion.Export;

/// <summary>
/// Exports a fitted <see cref="StemDiffusionTransformer"/> to ONNX (opset 17) for stock ONNX Runtime, ML.NET's
/// ApplyOnnxModel included: the denoiser alone (<see cref="ExportDenoiser(StemDiffusionTransformer)"/>), or the whole
/// prediction with the sampling loop inside the graph (<see cref="ExportSampler(StemDiffusionTransformer, StemOnnxSamplerOptions?)"/>).
/// The files hold the weights as they are at export time (the EMA weights the model predicts with).
/// </summary>
public static class StemOnnxExporter
{
    /// <summary>Denoiser input x_t, float [N, G], in the model's standardized label units (with a mean prior: the
    /// standardized residual around <see cref="PriorMeanOutput"/>).</summary>
    public const string NoisyInput = "x_t";

    /// <summary>Denoiser input t, float [N]: the training-schedule timestep (0 … T−1) of each row.</summary>
    public const string TimestepInput = "t";

    /// <summary>Denoiser output ε, float [N, G].</summary>
    public const string EpsilonOutput = "eps";

    /// <summary>Denoiser output v (learned-range variance interpolation, about [−1, 1]), float [N, G].</summary>
    public const string VarianceOutput = "v";

    /// <summary>Denoiser output: the mean the diffusion's draws are residuals of, float [N, G] in standardized label units —
    /// the ridge mean of <see cref="MeanPrior.Ridge"/>, zeros for a model without a mean prior.</summary>
    public const string PriorMeanOutput = "prior_mean";

    /// <summary>Optional sampler input with a default (an ONNX "overridable initializer"), int64 scalar: the seed of the
    /// in-graph noise. Callers that bind only the required inputs (ML.NET's ApplyOnnxModel) get the default, which the
    /// metadata entry "seed" also records.</summary>
    public const string SeedInput = "seed";

    /// <summary>Sampler and denoiser input: the spot embedding as the model's feature column holds it (one view, not
    /// standardized), float [N, C]. Named <c>features</c> like the ridge and MLP exports, so one ML.NET app can feed any
    /// exported MlNetStem model.</summary>
    public const string EmbeddingInput = "features";

    /// <summary>HisDiff sampler input: context set <paramref name="set"/>'s embeddings (e.g. the 9 nearest spots), float [N, k, D].</summary>
    public static string ContextInput(int set) => FormattableString.Invariant($"context_{set}");

    /// <summary>HisDiff sampler input: context set <paramref name="set"/>'s mask (1 real neighbour, 0 padding), float [N, k].</summary>
    public static string ContextMaskInput(int set) => FormattableString.Invariant($"context_{set}_mask");

    /// <summary>Optional sampler input (see <see cref="StemOnnxSamplerOptions.NoiseInput"/>): float [N, Draws, K, G].</summary>
    public const string NoiseInput = "noise";

    /// <summary>Sampler output: predicted expression in label units, the mean of the draws, float [N, G].</summary>
    public const string ExpressionOutput = "expression";

    /// <summary>Sampler output: per-gene standard deviation of the draws, float [N, G].</summary>
    public const string StdOutput = "expression_std";

    /// <summary>Sampler output: every draw in label units, float [N, Draws, G].</summary>
    public const string DrawsOutput = "expression_draws";

    /// <summary>Sampler output with intervals: the first interval level's lower bound under a fixed name, float [N, G].</summary>
    public const string FirstLowerOutput = "expression_lower";

    /// <summary>Sampler output with intervals: the first interval level's upper bound under a fixed name, float [N, G].</summary>
    public const string FirstUpperOutput = "expression_upper";

    /// <summary>Sampler output (with <see cref="StemOnnxSamplerOptions.IntervalLevels"/>): lower end of the central interval of
    /// <paramref name="level"/>, e.g. "expression_lower_80", float [N, G].</summary>
    public static string LowerOutput(double level) => "expression_lower_" + StemDiffusionTransformer.LevelSuffix(level);

    /// <summary>Sampler output: upper end of the central interval of <paramref name="level"/>, e.g. "expression_upper_80".</summary>
    public static string UpperOutput(double level) => "expression_upper_" + StemDiffusionTransformer.LevelSuffix(level);

    /// <summary>
    /// The denoiser as a self-contained model: (<see cref="NoisyInput"/>, <see cref="TimestepInput"/>,
    /// <see cref="EmbeddingInput"/> and HisDiff's context inputs) → (<see cref="EpsilonOutput"/>, <see cref="VarianceOutput"/>,
    /// <see cref="PriorMeanOutput"/>), batch dimension "N" dynamic. The embedding is standardized in the graph; the label
    /// standardization, the clip bounds and the noise schedule (betas, cumulative alphas) are in the model's metadata, so a
    /// sampling loop needs nothing but this file (see the README of this folder).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public static byte[] ExportDenoiser(StemDiffusionTransformer transformer) => BuildDenoiser(transformer).ToBytes();

    /// <summary>Writes <see cref="ExportDenoiser(StemDiffusionTransformer)"/> to <paramref name="path"/> atomically.</summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void ExportDenoiser(StemDiffusionTransformer transformer, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        BuildDenoiser(transformer).Save(path);
    }

    /// <summary>
    /// The whole prediction as a model: <see cref="EmbeddingInput"/> [N, C] and HisDiff's context inputs (plus
    /// <see cref="NoiseInput"/> when asked for; otherwise the optional <see cref="SeedInput"/> of the in-graph noise)
    /// → <see cref="ExpressionOutput"/> [N, G], <see cref="StdOutput"/> [N, G], <see cref="DrawsOutput"/> [N, Draws, G],
    /// sampling in an ONNX Loop. Gene names are in the model's metadata ("genes", one per line). The in-graph noise is a
    /// fixed function of the seed and each spot's own condition values: the same draws in every session, whatever the
    /// batch or the row order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Steps, draws or eta are out of range.</exception>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public static byte[] ExportSampler(StemDiffusionTransformer transformer, StemOnnxSamplerOptions? options = null) =>
        BuildSampler(transformer, options).ToBytes();

    /// <summary>Writes <see cref="ExportSampler(StemDiffusionTransformer, StemOnnxSamplerOptions?)"/> to <paramref name="path"/> atomically.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Steps, draws or eta are out of range.</exception>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void ExportSampler(StemDiffusionTransformer transformer, string path, StemOnnxSamplerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        BuildSampler(transformer, options).Save(path);
    }

    /// <summary>K, the number of noise slots per draw of the <see cref="NoiseInput"/> input: 1 (x_T) plus one per
    /// stochastic step (0 more for DDIM with η = 0 and for DPM-Solver++).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Steps or eta are out of range.</exception>
    public static int NoiseSlots(StemDiffusionTransformer transformer, StemOnnxSamplerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        var (sampler, steps, eta, _) = Resolve(transformer, options);
        return new SamplerOnnxGraph(transformer.Diffusion, sampler, steps, eta).NoiseSlots;
    }

    private static OnnxGraphBuilder BuildDenoiser(StemDiffusionTransformer transformer)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        var denoiser = transformer.Denoiser;
        int g = denoiser.GeneCount, c = denoiser.ConditionSize;
        var schedule = transformer.Diffusion.Schedule;
        var (lower, upper) = transformer.ClipBounds();
        var graph = new OnnxGraphBuilder("stem_denoiser")
        {
            DocString = $"MlNetStem diffusion denoiser ({transformer.Options.Denoiser}): (x_t, t, features) → (ε, v, prior mean) for {g} genes; " +
                "label standardization, clip bounds and noise schedule in the metadata.",
        };
        graph.AddMetadata("mlnetstem.component", "StemDiffusion.Denoiser");
        graph.AddMetadata("diffusion_steps", Text(schedule.Length));
        graph.AddMetadata("schedule", "linear");
        graph.AddMetadata("beta_start", Text(schedule.Betas[0]));
        graph.AddMetadata("beta_end", Text(schedule.Betas[^1]));
        graph.AddMetadata("schedule_betas", Text(schedule.Betas));
        graph.AddMetadata("schedule_alphas_cumprod", Text(schedule.AlphasCumprod));
        graph.AddMetadata("label_mean", Text(transformer.LabelScaling.Mean));
        graph.AddMetadata("label_std", Text(transformer.LabelScaling.Std));
        graph.AddMetadata("mean_prior", transformer.Prior is null ? "none" : "ridge");
        graph.AddMetadata("clip_denoised", transformer.Options.ClipDenoised ? "true" : "false");
        graph.AddMetadata("clip_lower", Text(lower));
        graph.AddMetadata("clip_upper", Text(upper));
        if (transformer.Genes is { } genes) graph.AddMetadata("genes", string.Join('\n', genes));
        var ops = new OnnxGraphOps(graph);
        string x = graph.AddInput(NoisyInput, OnnxElementType.Float, "N", g);
        string t = graph.AddInput(TimestepInput, OnnxElementType.Float, "N");
        var (_, condition) = ConditionOnnxGraph.Emit(ops, transformer.Layout, transformer.FeatureScaling, visible: false);
        var (eps, v) = DenoiserOnnxGraph.Emit(ops, (Torch.Nn.Module)denoiser, transformer.Options.Heads, x, t, condition);
        // Always an output, zeros without a prior, so that one sampling loop fits every model.
        string prior = transformer.Prior is { } ridge
            ? ConditionOnnxGraph.PriorMean(ops, ridge, condition, c, g)
            : graph.AddNode("ConstantOfShape", [ops.Node("Shape", x)]);
        graph.AddNode("Identity", "", [eps], [EpsilonOutput]);
        graph.AddNode("Identity", "", [v], [VarianceOutput]);
        graph.AddNode("Identity", "", [prior], [PriorMeanOutput]);
        graph.AddOutput(EpsilonOutput, OnnxElementType.Float, "N", g);
        graph.AddOutput(VarianceOutput, OnnxElementType.Float, "N", g);
        graph.AddOutput(PriorMeanOutput, OnnxElementType.Float, "N", g);
        return graph;
    }

    // Metadata numbers: invariant culture, round-trip precision, comma-separated for arrays.
    private static string Text(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Text(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private static string Text(IEnumerable<double> values) => string.Join(',', values.Select(Text));

    private static string Text(IEnumerable<float> values) =>
        string.Join(',', values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

    private static OnnxGraphBuilder BuildSampler(StemDiffusionTransformer transformer, StemOnnxSamplerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        var (sampler, steps, eta, draws) = Resolve(transformer, options);
        var plan = new SamplerOnnxGraph(transformer.Diffusion, sampler, steps, eta);
        var labels = transformer.LabelScaling;
        bool clip = options?.ClipDenoised ?? transformer.Options.ClipDenoised;
        return plan.Build((Torch.Nn.Module)transformer.Denoiser, transformer.Options.Heads, transformer.Layout, transformer.FeatureScaling,
            labels, clip ? transformer.ClipBounds() : null, transformer.Prior, draws, transformer.Options.AntitheticDraws, options?.NoiseInput ?? false, options?.Seed ?? transformer.Options.PredictionSeed, transformer.Genes,
            options?.IntervalLevels, transformer.IntervalScale);
    }

    private static (DiffusionSampler Sampler, int Steps, double Eta, int Draws) Resolve(StemDiffusionTransformer transformer, StemOnnxSamplerOptions? options)
    {
        var o = transformer.Options with
        {
            Sampler = options?.Sampler ?? transformer.Options.Sampler,
            Steps = options?.Steps ?? transformer.Options.Steps,
            Eta = options?.Eta ?? transformer.Options.Eta,
            Draws = options?.Draws ?? transformer.Options.Draws,
        };
        if (o.Draws < 1) throw new ArgumentOutOfRangeException(nameof(options), o.Draws, "Draws must be at least 1.");
        return (o.Sampler, o.EffectiveSteps, o.Eta, o.Draws);
    }
}
