using MlNetStem.Trainers.Diffusion;
using MlNetStem.Trainers.Mlp;
using MlNetStem.Trainers.Ridge;
using MlNetStem.Trainers.StAnd;

namespace MlNetStem.Trainers;

/// <summary>The trainers of this assembly on <c>ml.SpatialExpression().Trainers</c>.</summary>
public static class TrainersCatalogExtensions
{
    /// <summary>Ridge regression baseline (penalty by generalized cross-validation unless given).</summary>
    public static RidgeEstimator Ridge(this SpatialTrainersCatalog catalog, string labelColumn = "Expression",
        string featureColumn = "Features", string outputColumn = "Score", double? alpha = null, int pcaComponents = 0) =>
        new(new RidgeOptions(labelColumn, featureColumn, outputColumn, alpha, pcaComponents), catalog.Owner.Progress);

    /// <summary>Ridge regression with every option, e.g. <see cref="RidgeOptions.Hest"/> (HEST-Benchmark's linear probe).</summary>
    /// <exception cref="ArgumentException">Negative penalty or PCA size.</exception>
    public static RidgeEstimator Ridge(this SpatialTrainersCatalog catalog, RidgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new(options, catalog.Owner.Progress);
    }

    /// <summary>
    /// Regression MLP baseline trained with libtorch (standardized features, AdamW, MSE, EMA weights).
    /// The seed defaults to one drawn from the context, so a seeded context (<see cref="SpatialExpressionCatalog.Seed"/>) gives reproducible models.
    /// </summary>
    /// <param name="catalog">The trainers catalog.</param>
    /// <param name="labelColumn">Target expression vector.</param>
    /// <param name="featureColumn">Feature vector.</param>
    /// <param name="outputColumn">Predicted expression column.</param>
    /// <param name="hiddenSizes">Hidden layer widths; null means [256].</param>
    /// <param name="epochs">Maximum passes over the data.</param>
    /// <param name="dropout">Dropout after each hidden activation.</param>
    /// <param name="earlyStoppingPatience">When positive, early stopping on a seeded 10% validation split.</param>
    /// <param name="seed">Training seed; null draws one with <see cref="SpatialExpressionCatalog.NextSeed"/>.</param>
    /// <exception cref="ArgumentException">A hyper-parameter is out of range.</exception>
    public static MlpEstimator Mlp(this SpatialTrainersCatalog catalog, string labelColumn = "Expression",
        string featureColumn = "Features", string outputColumn = "Score", int[]? hiddenSizes = null, int epochs = 200,
        double dropout = 0.1, int earlyStoppingPatience = 0, int? seed = null) =>
        catalog.Mlp(new MlpOptions(labelColumn, featureColumn, outputColumn, HiddenSizes: hiddenSizes, Epochs: epochs,
            Dropout: dropout, EarlyStoppingPatience: earlyStoppingPatience, Seed: seed));

    /// <summary>Regression MLP baseline with every option; a null <see cref="MlpOptions.Seed"/> is drawn from the context.</summary>
    /// <exception cref="ArgumentException">A hyper-parameter is out of range.</exception>
    public static MlpEstimator Mlp(this SpatialTrainersCatalog catalog, MlpOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new(options with { Seed = options.Seed ?? catalog.Owner.NextSeed() }, catalog.Owner.Progress);
    }

    /// <summary>
    /// Stem conditional diffusion (DiT over gene tokens, learned-variance DDPM) predicting the label's expression from the
    /// feature embedding; outputs the mean of many draws plus their std and quantile intervals. <paramref name="options"/>
    /// defaults to the CPU preset for the label's panel, <see cref="StemDiffusionOptions.CpuFor(int)"/> (decided at
    /// <c>Fit</c>); use <see cref="StemDiffusionOptions.Paper"/> for the published size.
    /// The column arguments override those of the options; a null seed is drawn from the context. Progress (with ETA and loss)
    /// goes to <see cref="SpatialExpressionCatalog.Progress"/>.
    /// </summary>
    /// <param name="catalog">The trainers catalog.</param>
    /// <param name="labelColumn">Target expression vector.</param>
    /// <param name="featureColumn">Embedding [D] or augmented views [A, D].</param>
    /// <param name="outputColumn">Predicted expression (mean of the draws).</param>
    /// <param name="options">Every other option; null means <see cref="StemDiffusionOptions.CpuFor(int)"/> for the label's gene count.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static StemDiffusionEstimator StemDiffusion(this SpatialTrainersCatalog catalog, string labelColumn = "Expression",
        string featureColumn = "Features", string outputColumn = "Score", StemDiffusionOptions? options = null) =>
        Diffusion(catalog, labelColumn, featureColumn, outputColumn, options ?? StemDiffusionOptions.Cpu,
            options is null ? StemDiffusionOptions.CpuFor : null);

    private static StemDiffusionEstimator Diffusion(SpatialTrainersCatalog catalog, string labelColumn, string featureColumn, string outputColumn,
        StemDiffusionOptions options, Func<int, StemDiffusionOptions>? panelPreset)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var o = options with { LabelColumn = labelColumn, FeatureColumn = featureColumn, OutputColumn = outputColumn };
        o = o with { Seed = o.Seed ?? catalog.Owner.NextSeed() };
        return panelPreset is null ? new(o, catalog.Owner.Progress) : new(o, catalog.Owner.Progress, panelPreset);
    }

    /// <summary>
    /// HisDiff: the Stem diffusion conditioned on the attention fusion of the spot's embedding with its neighbourhood's
    /// (<see cref="StemDiffusionOptions.ContextColumns"/>, e.g. the 9 and 49 nearest spots that two
    /// <c>ml.Transforms.NeighbourContext</c> steps add). Same samplers, outputs, save/load and ONNX export as
    /// <see cref="StemDiffusion"/>. <paramref name="options"/> defaults to the CPU preset for the label's panel,
    /// <see cref="StemDiffusionOptions.HisDiffFor(int)"/> (decided at <c>Fit</c>);
    /// <see cref="StemDiffusionOptions.HisDiffPaper"/> is the published configuration.
    /// </summary>
    /// <param name="catalog">The trainers catalog.</param>
    /// <param name="labelColumn">Target expression vector.</param>
    /// <param name="featureColumn">The spot's embedding [D].</param>
    /// <param name="contextColumns">Context columns [k, D], each with its <c>{name}Mask</c> [k]; null keeps the options' (by default
    /// <see cref="StemDiffusionOptions.DefaultContextColumns"/>).</param>
    /// <param name="outputColumn">Predicted expression (mean of the draws).</param>
    /// <param name="options">Every other option; null means <see cref="StemDiffusionOptions.HisDiffFor(int)"/> for the label's gene count.</param>
    /// <exception cref="ArgumentException">An option is out of range, or no context column is given.</exception>
    public static StemDiffusionEstimator HisDiff(this SpatialTrainersCatalog catalog, string labelColumn = "Expression",
        string featureColumn = "Features", IReadOnlyList<string>? contextColumns = null, string outputColumn = "Score", StemDiffusionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var o = options ?? StemDiffusionOptions.HisDiff;
        o = o with { ContextColumns = contextColumns ?? o.ContextColumns ?? StemDiffusionOptions.DefaultContextColumns };
        if (!o.HasContext) throw new ArgumentException("HisDiff needs at least one context column.", nameof(contextColumns));
        return Diffusion(catalog, labelColumn, featureColumn, outputColumn, o, options is null ? StemDiffusionOptions.HisDiffFor : null);
    }

    /// <summary>
    /// ST-AnD: per-nucleus expression learned from spot labels by multiple-instance learning over each spot's nucleus crops
    /// (<c>ml.Transforms.DetectNuclei</c> then <c>ml.Transforms.LoadNucleusCrops</c>). Writes the spot prediction and each
    /// nucleus' prediction on the spot scale. <paramref name="options"/> defaults to <see cref="StAndOptions.Cpu"/> (conv
    /// encoder); <see cref="StAndOptions.Paper"/> is ST-AnD's VQ-VAE configuration. The column arguments override those of the
    /// options; a null seed is drawn from the context.
    /// </summary>
    /// <param name="catalog">The trainers catalog.</param>
    /// <param name="labelColumn">Spot expression [G].</param>
    /// <param name="cropColumn">Nucleus crops [MaxNuclei, 3, S, S].</param>
    /// <param name="maskColumn">Nucleus mask [MaxNuclei].</param>
    /// <param name="outputColumn">Predicted spot expression [G].</param>
    /// <param name="options">Every other option; null means <see cref="StAndOptions.Cpu"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static StAndEstimator StAnd(this SpatialTrainersCatalog catalog, string labelColumn = "Expression", string cropColumn = "NucleusCrops",
        string maskColumn = "NucleusMask", string outputColumn = "Score", StAndOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var o = (options ?? StAndOptions.Cpu) with { LabelColumn = labelColumn, CropColumn = cropColumn, MaskColumn = maskColumn, OutputColumn = outputColumn };
        return new(o with { Seed = o.Seed ?? catalog.Owner.NextSeed() }, catalog.Owner.Progress);
    }
}
