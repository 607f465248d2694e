namespace MlNetStem.Trainers.Ridge;

/// <summary>How <see cref="RidgeEstimator"/> picks its penalty when <see cref="RidgeOptions.Alpha"/> is not given.</summary>
public enum RidgePenalty
{
    /// <summary>Generalized cross-validation over <see cref="RidgeOptions.AlphaGrid"/> (our default).</summary>
    CrossValidated,

    /// <summary>
    /// HEST-Benchmark's fixed rule α = 100 / (D·G), D the number of regressors (after PCA) and G the number of genes, as in
    /// its linear-probe code (<c>Ridge(alpha=100 / (X.shape[1] * y.shape[1]), fit_intercept=False)</c>).
    /// </summary>
    HestBenchmark,
}
