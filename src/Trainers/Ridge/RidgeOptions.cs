namespace MlNetStem.Trainers.Ridge;

/// <summary>Options of <see cref="RidgeEstimator"/>.</summary>
/// <param name="LabelColumn">Target expression vector (e.g. log-normalized panel).</param>
/// <param name="FeatureColumn">Image features (morphology or foundation-model embedding).</param>
/// <param name="OutputColumn">Predicted expression column.</param>
/// <param name="Alpha">L2 penalty on standardized features; null picks it by generalized cross-validation.</param>
/// <param name="PcaComponents">When positive, project standardized features on this many principal components first (HEST uses 256).</param>
/// <param name="Penalty">How the penalty is chosen when <paramref name="Alpha"/> is null.</param>
/// <param name="FitIntercept">
/// Fit an unpenalized intercept (our default). HEST-Benchmark fits none: features are standardized, so its predictions
/// have mean zero on the training rows whatever the genes' mean expression.
/// </param>
public sealed record RidgeOptions(
    string LabelColumn = "Expression",
    string FeatureColumn = "Features",
    string OutputColumn = "Score",
    double? Alpha = null,
    int PcaComponents = 0,
    RidgePenalty Penalty = RidgePenalty.CrossValidated,
    bool FitIntercept = true)
{
    /// <summary>
    /// HEST-Benchmark's linear probe: StandardScaler → PCA(256) → ridge with α = 100/(D·G) and no intercept (D = the PCA
    /// size, or the feature count when that is smaller). Use it on the 50 most variable genes to compare with HEST's
    /// published numbers; HEST's targets are ln(1+x) while ours are log2(x+1) = ln(1+x)/ln 2, and ridge without intercept
    /// scales its predictions with its targets, so Pearson correlations are the same and squared errors differ by (ln 2)².
    /// </summary>
    public static RidgeOptions Hest(string labelColumn = "Expression", string featureColumn = "Features", string outputColumn = "Score") =>
        new(labelColumn, featureColumn, outputColumn, PcaComponents: 256, Penalty: RidgePenalty.HestBenchmark, FitIntercept: false);

    /// <summary>Penalties tried by generalized cross-validation when <see cref="Alpha"/> is null.</summary>
    public static IReadOnlyList<double> AlphaGrid { get; } =
        Enumerable.Range(-3, 13).Select(e => Math.Pow(10, e * 0.5)).ToArray();
}
