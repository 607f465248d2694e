namespace MlNetStem.Trainers.StAnd;

/// <summary>How ST-AnD pools its nuclei's outputs (each in (0, 1) per gene) into one value per gene for the spot.</summary>
public enum StAndPooling
{
    /// <summary>Noisy-AND (ST-AnD's default): <c>[σ(γ(m − b)) − σ(−γb)] / [σ(γ(1 − b)) − σ(−γb)]</c> over the mean m, b learned per gene.</summary>
    NoisyAnd,

    /// <summary>Noisy-OR: <c>1 − Π(1 − pᵢ)</c>.</summary>
    NoisyOr,

    /// <summary>The largest nucleus output.</summary>
    Max,

    /// <summary>The mean nucleus output: with the β·n scaling the spot's counts are exactly the sum of its nuclei's (the hard sum-to-spot model).</summary>
    Mean,

    /// <summary>Generalized mean <c>(mean pᵢʳ)^(1/r)</c>, r = <see cref="StAndOptions.PoolingExponent"/>.</summary>
    GeneralizedMean,

    /// <summary>Log-sum-exp <c>(1/r) log mean exp(r·pᵢ)</c>, r = <see cref="StAndOptions.PoolingExponent"/>.</summary>
    LogSumExp,
}
