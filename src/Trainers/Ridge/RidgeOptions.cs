namespace MlNetStem.Trainers.Ridge;

/// <summary>Options of <see cref="RidgeEstimator"/>.</summary>
/// <param name="LabelColumn">Target expression vector (e.g. log-normalized panel).</param>
/// <param name="FeatureColumn">Image features (morphology or foundation-model embedding).</param>
/// <param name="OutputColumn">Predicted expression column.</param>
/// <param name="Alpha">L2 penalty on standardized features; null picks it by generalized cross-validation.</param>
/// <param name="PcaComponents">When positive, project standardized features on this many principal components first (HEST uses 256).</param>
public sealed record RidgeOptions(
    string LabelColumn = "Expression",
    string FeatureColumn = "Features",
    string OutputColumn = "Score",
    double? Alpha = null,
    int PcaComponents = 0)
{
    /// <summary>Penalties tried by generalized cross-validation when <see cref="Alpha"/> is null.</summary>
    public static IReadOnlyList<double> AlphaGrid { get; } =
        Enumerable.Range(-3, 13).Select(e => Math.Pow(10, e * 0.5)).ToArray();
}
