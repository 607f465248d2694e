using MlNetStem.Transforms.Context;
using MlNetStem.Transforms.Expression;
using MlNetStem.Transforms.Imaging;
using MlNetStem.Transforms.Features;
using MlNetStem.Transforms.Onnx;

namespace MlNetStem.Transforms;

/// <summary>The transforms of this assembly on <c>ctx.Transforms</c>.</summary>
public static class TransformsCatalogExtensions
{
    /// <summary>Learns a gene panel on the training data and projects counts onto it.</summary>
    public static SelectGenesEstimator SelectGenes(this TransformsCatalog catalog, string outputColumn = "Expression",
        string inputColumn = "Counts", int top = 250, GeneRanking ranking = GeneRanking.ExpressedThenVariable,
        IReadOnlyList<string>? genes = null, MissingGenePolicy missingGenes = MissingGenePolicy.Error) =>
        new(new SelectGenesOptions(outputColumn, inputColumn, top, ranking, genes, missingGenes));

    /// <summary>log(x + 1) of a counts vector (in place when <paramref name="inputColumn"/> is null).</summary>
    public static LogNormalizeEstimator LogNormalize(this TransformsCatalog catalog, string outputColumn,
        string? inputColumn = null, LogBase logBase = LogBase.Two, float? targetTotal = null) =>
        new(outputColumn, inputColumn ?? outputColumn, logBase, targetTotal);

    /// <summary>Drops spots whose <paramref name="column"/> is all zero.</summary>
    public static DropEmptySpotsEstimator DropEmptySpots(this TransformsCatalog catalog, string column = "Expression") => new(column);

    /// <summary>Spot-centred patches of <paramref name="sizeMicrons"/> µm resampled to <paramref name="sizePixels"/> px.</summary>
    public static LoadPatchesEstimator LoadPatches(this TransformsCatalog catalog, string outputColumn = "Patch",
        string imageColumn = "Image", double sizeMicrons = 112, int sizePixels = 224, double? micronsPerPixel = null) =>
        new(new LoadPatchesOptions(outputColumn, imageColumn, SizeMicrons: sizeMicrons, SizePixels: sizePixels, MicronsPerPixel: micronsPerPixel));

    /// <summary>
    /// Drops spots whose <paramref name="sizeMicrons"/>-wide patch is less than
    /// <paramref name="minTissueFraction"/> tissue (a saturation mask per slide, Otsu threshold).
    /// </summary>
    /// <exception cref="ArgumentException">Out-of-range sizes or fraction.</exception>
    public static FilterBackgroundSpotsEstimator FilterBackgroundSpots(this TransformsCatalog catalog, string imageColumn = "Image",
        double minTissueFraction = 0.5, double sizeMicrons = 112, double? micronsPerPixel = null) =>
        new(new FilterBackgroundSpotsOptions(imageColumn, SizeMicrons: sizeMicrons, MinTissueFraction: minTissueFraction, MicronsPerPixel: micronsPerPixel));

    /// <summary>
    /// The nuclei inside each spot's disk of <paramref name="spotDiameterMicrons"/> (colour deconvolution, threshold,
    /// distance transform, seeded watershed; no model needed): <c>NucleusCount</c>, a <c>[maxNuclei, 5]</c> table
    /// (<see cref="DetectNucleiTransformer.FeatureNames"/>) in <paramref name="outputColumn"/> and its mask <c>NucleusMask</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Out-of-range sizes.</exception>
    public static DetectNucleiEstimator DetectNuclei(this TransformsCatalog catalog, string outputColumn = "Nuclei",
        string imageColumn = "Image", int maxNuclei = 128, double spotDiameterMicrons = 55, double? micronsPerPixel = null) =>
        new(new DetectNucleiOptions(outputColumn, imageColumn, MaxNuclei: maxNuclei, SpotDiameterMicrons: spotDiameterMicrons,
            MicronsPerPixel: micronsPerPixel));

    /// <summary>The nuclei inside each spot's disk, every choice explicit (see <see cref="DetectNucleiOptions"/>).</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public static DetectNucleiEstimator DetectNuclei(this TransformsCatalog catalog, DetectNucleiOptions options) => new(options);

    /// <summary>
    /// A crop around each nucleus of <paramref name="nucleiColumn"/> (ST-AnD's input: <paramref name="cropMicrons"/> µm at
    /// <paramref name="cropPixels"/> px, values in [-0.5, 0.5]) as <c>[MaxNuclei, 3, px, px]</c>, zeros for padding rows.
    /// </summary>
    /// <exception cref="ArgumentException">Out-of-range sizes.</exception>
    public static LoadNucleusCropsEstimator LoadNucleusCrops(this TransformsCatalog catalog, string outputColumn = "NucleusCrops",
        string nucleiColumn = "Nuclei", string maskColumn = "NucleusMask", string imageColumn = "Image",
        double cropMicrons = 14, int cropPixels = 28, double? micronsPerPixel = null) =>
        new(new LoadNucleusCropsOptions(outputColumn, nucleiColumn, maskColumn, imageColumn, cropMicrons, cropPixels, micronsPerPixel));

    /// <summary>
    /// The built-in morphology featurizer (no model download needed); with <paramref name="dihedralViews"/>
    /// the output is <c>[8, D]</c>, the features of the 8 flips/rotations of each patch (Stem's augmentation).
    /// </summary>
    public static FeaturizeMorphologyEstimator FeaturizeMorphology(this TransformsCatalog catalog,
        string outputColumn = "Features", string inputColumn = "Patch", bool dihedralViews = false) => new(outputColumn, inputColumn, dihedralViews);

    /// <summary>
    /// Variance-preserving point estimate of one predicted section: stretches each gene's per-spot mean of the draws
    /// (<paramref name="scoreColumn"/>) around its section average so its variance across spots equals the model's total
    /// predicted variance, Var(mean) + mean(spread²) (law of total variance). Per-gene PCC is unchanged. Fit it on the
    /// section's predictions (no labels needed).
    /// </summary>
    public static PreserveVarianceEstimator PreserveVariance(this TransformsCatalog catalog, string outputColumn = "ScorePreserved",
        string scoreColumn = "Score", string spreadColumn = "ScoreStd") => new(outputColumn, scoreColumn, spreadColumn);

    /// <summary>
    /// Each spot's neighbourhood from any embedding column: the spot and its k − 1 nearest spots of the same section,
    /// <c>[k, D]</c> with a mask (HisDiff's context; k = 9 and 49), or their mean <c>[D]</c> with
    /// <see cref="ContextPooling.Mean"/> (context for ridge/MLP, e.g. after <c>Concatenate</c>).
    /// </summary>
    public static NeighbourContextEstimator NeighbourContext(this TransformsCatalog catalog, NeighbourContextOptions options) => new(options);

    /// <summary>Each spot's neighbourhood (see <see cref="NeighbourContext(TransformsCatalog, NeighbourContextOptions)"/>).</summary>
    public static NeighbourContextEstimator NeighbourContext(this TransformsCatalog catalog, string outputColumn, string inputColumn,
        int neighbours = 9, ContextPooling pooling = ContextPooling.None) =>
        new(new NeighbourContextOptions(outputColumn, inputColumn, neighbours, pooling));

    /// <summary>One view <c>[D]</c> of a multi-view feature column <c>[A, D]</c> (view 0 = the unaugmented patch).</summary>
    public static SelectViewEstimator SelectView(this TransformsCatalog catalog, string outputColumn, string inputColumn, int view = 0) =>
        new(outputColumn, inputColumn, view);

    /// <summary>
    /// Embeds patches with ONNX image encoders (ImageNet normalization, CLS pooling, batch 32),
    /// concatenating the models' outputs in the order given. ViTs (<c>[N,D]</c>, <c>[N,T,D]</c>) and CNNs
    /// (<c>[N,C,H,W]</c>, averaged over H×W) alike; for ML.NET's pretrained ResNet18 with its own preprocessing,
    /// pass <see cref="PretrainedEncoders.ResNet18"/> through <see cref="FeaturizeOnnxOptions"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No model, or a model that cannot be used (the message names it).</exception>
    /// <exception cref="FileNotFoundException">A model file does not exist.</exception>
    public static FeaturizeOnnxEstimator FeaturizeOnnx(this TransformsCatalog catalog, string outputColumn, string inputColumn,
        params string[] modelPaths) => new(FeaturizeOnnxOptions.ForModels(outputColumn, inputColumn, modelPaths));

    /// <summary>Embeds patches with ONNX image encoders, every choice explicit.</summary>
    /// <exception cref="ArgumentException">Invalid options or an unusable model (the message names it).</exception>
    /// <exception cref="FileNotFoundException">A model file does not exist.</exception>
    public static FeaturizeOnnxEstimator FeaturizeOnnx(this TransformsCatalog catalog, FeaturizeOnnxOptions options) => new(options);
}
