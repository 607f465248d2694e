namespace MlNetStem.Transforms.Expression;

/// <summary>How <see cref="SelectGenesEstimator"/> ranks genes on the training data.</summary>
public enum GeneRanking
{
    /// <summary>Highest mean raw count.</summary>
    HighlyExpressed,
    /// <summary>Highest variance of log1p counts among genes detected in at least 10% of spots.</summary>
    HighlyVariable,
    /// <summary>Stem's panel: the 2k most expressed genes, then the k most variable of those.</summary>
    ExpressedThenVariable,
}
