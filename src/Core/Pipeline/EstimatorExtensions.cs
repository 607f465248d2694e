namespace MlNetStem.Pipeline;

/// <summary>Chaining for estimators: <c>a.Append(b).Append(c)</c>.</summary>
public static class EstimatorExtensions
{
    /// <summary>Starts a chain with <paramref name="start"/> followed by <paramref name="next"/>.</summary>
    public static EstimatorChain<TNext> Append<TNext>(this IEstimator<ITransformer> start, IEstimator<TNext> next)
        where TNext : class, ITransformer
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(next);
        return new EstimatorChain<TNext>([start, next]);
    }
}
