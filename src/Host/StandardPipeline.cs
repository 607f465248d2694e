using MlNetStem.Pipeline;
using MlNetStem.Trainers;
using MlNetStem.Trainers.Ridge;
using MlNetStem.Transforms;

namespace MlNetStem.Host;

/// <summary>The main job: counts → panel → log2(x+1) → patches → morphology features → ridge.</summary>
public static class StandardPipeline
{
    /// <summary>Builds the estimator chain for <paramref name="settings"/>.</summary>
    public static EstimatorChain<RidgeTransformer> Build(StemContext ctx, PipelineSettings settings) =>
        ctx.Transforms.SelectGenes("Expression", "Counts", settings.Genes, settings.Ranking, missingGenes: settings.MissingGenes)
            .Append(ctx.Transforms.LogNormalize("Expression"))
            .Append(ctx.Transforms.DropEmptySpots("Expression"))
            .Append(ctx.Transforms.LoadPatches("Patch", "Image", settings.PatchMicrons, settings.PatchPixels))
            .Append(ctx.Transforms.FeaturizeMorphology("Features", "Patch"))
            .Append(ctx.Trainers.Ridge("Expression", "Features", "Score", settings.Alpha, settings.Pca));
}
