using MlNetStem.Pipeline;
using MlNetStem.Trainers;
using MlNetStem.Trainers.Diffusion;
using MlNetStem.Trainers.Mlp;
using MlNetStem.Trainers.Ridge;
using MlNetStem.Trainers.StAnd;
using MlNetStem.Transforms;
using MlNetStem.Transforms.Context;
using MlNetStem.Transforms.Imaging;
using MlNetStem.Transforms.Onnx;

namespace MlNetStem.Host;

/// <summary>The main job: counts → panel → log2(x+1) → patches → morphology or ONNX encoder features → ridge.</summary>
public static class StandardPipeline
{
    /// <summary>Builds the estimator chain for <paramref name="settings"/>.</summary>
    /// <remarks>
    /// With ONNX encoders the patches are cut at <see cref="PipelineSettings.PatchPixels"/> and resized
    /// bilinearly to each encoder's input size when it differs.
    /// </remarks>
    /// <exception cref="ArgumentException">An ONNX encoder cannot be used (the message names it).</exception>
    /// <exception cref="FileNotFoundException">An ONNX encoder file does not exist.</exception>
    public static EstimatorChain<ITransformer> Build(MLContext ctx, PipelineSettings settings) =>
        Chain([.. PanelSteps(ctx, settings), .. (settings.Trainer == "stand" ? [] : FeaturizationSteps(ctx, settings)), .. ModelSteps(ctx, settings)]);

    /// <summary>Counts → panel (chosen on the data it is fitted on) → log2(x+1) "Expression", spots without panel counts dropped.</summary>
    public static EstimatorChain<ITransformer> Panel(MLContext ctx, PipelineSettings settings) => Chain(PanelSteps(ctx, settings));

    /// <summary>
    /// Image → patches → features: "Features" [D], or "FeatureViews" [8, D] with dihedral views (<see cref="FeatureColumn"/>).
    /// Learns nothing from expression, so a benchmark computes it once per section and reuses it across folds and trainers.
    /// </summary>
    public static EstimatorChain<ITransformer> Featurization(MLContext ctx, PipelineSettings settings) => Chain(FeaturizationSteps(ctx, settings));

    /// <summary>The panel, then the trainer on already featurized spots (what a benchmark fits per fold).</summary>
    public static EstimatorChain<ITransformer> PanelAndModel(MLContext ctx, PipelineSettings settings) =>
        Chain([.. PanelSteps(ctx, settings), .. ModelSteps(ctx, settings)]);

    /// <summary>The column <see cref="Featurization"/> writes for <paramref name="settings"/>.</summary>
    public static string FeatureColumn(PipelineSettings settings) => settings.DihedralViews ? FeatureViews : "Features";

    private static IEnumerable<IEstimator<ITransformer>> PanelSteps(MLContext ctx, PipelineSettings settings) =>
    [
        ctx.Transforms.SelectGenes("Expression", "Counts", settings.Genes, settings.Ranking, missingGenes: settings.MissingGenes),
        ctx.Transforms.LogNormalize("Expression"),
        ctx.Transforms.DropEmptySpots("Expression"),
    ];

    private static IEnumerable<IEstimator<ITransformer>> FeaturizationSteps(MLContext ctx, PipelineSettings settings) =>
        [ctx.Transforms.LoadPatches("Patch", "Image", settings.PatchMicrons, settings.PatchPixels), Featurizer(ctx, settings)];

    /// <summary>
    /// The trainer. With dihedral views, diffusion trains on all 8 views while regressors (and nothing else) see view 0
    /// as "Features".
    /// </summary>
    private static IEnumerable<IEstimator<ITransformer>> ModelSteps(MLContext ctx, PipelineSettings settings)
    {
        var steps = new List<IEstimator<ITransformer>>();
        if (settings.Trainer == "stand")
        {
            // ST-AnD reads nuclei, not patch features: the nuclei in each spot's disk, then a 14 µm crop around each.
            steps.Add(ctx.Transforms.DetectNuclei(new DetectNucleiOptions(SpotDiameterMicrons: settings.SpotDiameterMicrons)));
            steps.Add(ctx.Transforms.LoadNucleusCrops());
            steps.Add(Trainer(ctx, settings));
            return steps;
        }
        bool hisDiff = settings.Trainer == "hisdiff";
        if (settings.DihedralViews && (!IsDiffusion(settings) || hisDiff)) steps.Add(ctx.Transforms.SelectView("Features", FeatureViews));
        if (hisDiff)
        {
            // HisDiff's two context sets: the 9 and the 49 nearest spots of the section (the spot itself included).
            var columns = StemDiffusionOptions.DefaultContextColumns;
            var sizes = StemDiffusionOptions.DefaultContextSizes;
            for (int set = 0; set < columns.Count; set++)
                steps.Add(ctx.Transforms.NeighbourContext(new NeighbourContextOptions(columns[set], "Features", sizes[set])));
        }
        if (settings.ContextNeighbours > 0 && !IsDiffusion(settings))
        {
            // The neighbourhood's mean features next to the spot's own: ridge/MLP see [own, context] as "Features".
            steps.Add(ctx.Transforms.NeighbourContext(new NeighbourContextOptions("Features", "Features", settings.ContextNeighbours,
                ContextPooling.OwnAndMean)));
        }
        steps.Add(Trainer(ctx, settings));
        return steps;
    }

    private static EstimatorChain<ITransformer> Chain(IEnumerable<IEstimator<ITransformer>> steps)
    {
        var chain = new EstimatorChain<ITransformer>();
        foreach (var step in steps) chain = chain.Append(step);
        return chain;
    }

    private const string FeatureViews = "FeatureViews";

    private static bool IsDiffusion(PipelineSettings settings) => PipelineSettings.IsDiffusionTrainer(settings.Trainer);

    /// <summary>The trainer named by <see cref="PipelineSettings.Trainer"/>.</summary>
    /// <exception cref="ArgumentException">An unknown trainer name.</exception>
    public static IEstimator<ITransformer> Trainer(MLContext ctx, PipelineSettings settings) => settings.Trainer switch
    {
        "ridge" => ctx.SpatialExpression().Trainers.Ridge("Expression", "Features", "Score", settings.Alpha, settings.Pca),
        "hest-ridge" => ctx.SpatialExpression().Trainers.Ridge(RidgeOptions.Hest()),
        "mlp" => ctx.SpatialExpression().Trainers.Mlp(new MlpOptions("Expression", "Features", "Score", Epochs: settings.Epochs ?? new MlpOptions().Epochs)),
        "stem" or "stem-dit" or "stem-fast" => ctx.SpatialExpression().Trainers.StemDiffusion("Expression", settings.DihedralViews ? FeatureViews : "Features", "Score", DiffusionOptions(settings)),
        "hisdiff" => ctx.SpatialExpression().Trainers.HisDiff("Expression", "Features", null, "Score", DiffusionOptions(settings)),
        "stand" => ctx.SpatialExpression().Trainers.StAnd(options: StAndOptions.Cpu with { Epochs = settings.Epochs ?? StAndOptions.Cpu.Epochs }),
        var other => throw new ArgumentException($"Unknown trainer '{other}'."),
    };

    /// <summary>
    /// <see cref="StemDiffusionOptions.CpuFor"/> (the residual-MLP CPU preset; blocks of 50 genes for 51–500, the ridge prior above) for "stem" and its alias
    /// "stem-fast"; <see cref="StemDiffusionOptions.CpuDit"/> (Stem's DiT) for "stem-dit"; <see cref="StemDiffusionOptions.HisDiffFor"/> for "hisdiff".
    /// </summary>
    private static StemDiffusionOptions DiffusionOptions(PipelineSettings settings)
    {
        var preset = settings.Trainer switch
        {
            "stem-dit" => StemDiffusionOptions.CpuDit,
            "hisdiff" => StemDiffusionOptions.HisDiffFor(settings.Genes),
            _ => StemDiffusionOptions.CpuFor(settings.Genes),   // blocks of 50 genes for 51–500 genes, the ridge prior above
        };
        var options = preset with
        {
            Epochs = settings.Epochs ?? preset.Epochs,
            MeanPrior = settings.Prior ?? preset.MeanPrior,
            CheckpointDirectory = settings.CheckpointDirectory,
            CheckpointEvery = settings.CheckpointEvery ?? preset.CheckpointEvery,
        };
        return settings.Sampling?.ApplyTo(options) ?? options;
    }

    /// <summary>
    /// The name of a fitted pipeline's featurizer, for obsm keys (<c>X_morphology</c>): "morphology", the ONNX encoders'
    /// names joined by "+", or <paramref name="fallback"/> when the pipeline has neither.
    /// </summary>
    public static string FeaturizerName(ITransformer model, string fallback = "features")
    {
        IEnumerable<ITransformer> steps = model as IEnumerable<ITransformer> ?? [model];
        foreach (var step in steps)
        {
            if (step is Transforms.Imaging.FeaturizeMorphologyTransformer) return "morphology";
            if (step is FeaturizeOnnxTransformer onnx) return string.Join("+", onnx.EncoderNames);
        }
        return fallback;
    }

    /// <summary>A one-line description of a fitted trainer for logs.</summary>
    public static string Describe(ITransformer trainer) => trainer switch
    {
        RidgeTransformer r => $"ridge: {r.FeatureCount} features → {r.OutputCount} genes, alpha {r.Alpha:G3}",
        StemDiffusionTransformer d => $"{(d.Options.HasContext ? $"HisDiff diffusion (context of {string.Join(" and ", d.ContextSizes)} spots, " : "Stem diffusion (")}" +
            $"{d.Options.Denoiser}, depth {d.Options.Depth}, hidden {d.Options.HiddenSize}" +
            $"{(d.Options.GeneBlockSize is { } block && block < d.GeneCount ? $", blocks of {block} genes" : "")}" +
            $"{(d.Options.MeanPrior == MeanPrior.Ridge ? ", ridge mean prior" : "")}): " +
            $"{d.FeatureCount} features → {d.GeneCount} genes, {d.ParameterCount} parameters; sampler {d.Options.Sampler}, {d.Options.EffectiveSteps} steps, {d.Options.Draws} draws",
        MlpTransformer m => $"MLP: {m.FeatureCount} features → {m.OutputCount} genes, {m.ParameterCount} parameters, {m.Summary.Epochs} epochs",
        StAndTransformer t => $"ST-AnD ({t.Options.Encoder} encoder, {t.Options.Pooling} pooling): {t.Summary.TrainingNuclei} nuclei in " +
            $"{t.Summary.TrainingSpots} spots → {t.GeneCount} genes, {t.ParameterCount} parameters, {t.Summary.Epochs} epochs in {t.Summary.Seconds:0} s",
        _ => trainer.GetType().Name,
    };

    private static IEstimator<ITransformer> Featurizer(MLContext ctx, PipelineSettings settings) => settings.UsesOnnx
        ? ctx.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions(FeatureColumn(settings), "Patch",
            settings.EncoderOptions, CacheDirectory: settings.EmbeddingCache,
            DihedralViews: settings.DihedralViews))
        : ctx.Transforms.FeaturizeMorphology(settings.DihedralViews ? FeatureViews : "Features", "Patch", settings.DihedralViews);
}
