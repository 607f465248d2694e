using MlNetStem.Catalogs;
using MlNetStem.Trainers.Ridge;

namespace MlNetStem.Trainers;

/// <summary>The trainers of this assembly on <c>ctx.Trainers</c>.</summary>
public static class TrainersCatalogExtensions
{
    /// <summary>Ridge regression baseline (penalty by generalized cross-validation unless given).</summary>
    public static RidgeEstimator Ridge(this TrainersCatalog catalog, string labelColumn = "Expression",
        string featureColumn = "Features", string outputColumn = "Score", double? alpha = null, int pcaComponents = 0) =>
        new(new RidgeOptions(labelColumn, featureColumn, outputColumn, alpha, pcaComponents), catalog.Context.Progress);
}
