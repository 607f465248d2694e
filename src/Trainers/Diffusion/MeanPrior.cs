namespace MlNetStem.Trainers.Diffusion;

/// <summary>What the diffusion is centred on.</summary>
public enum MeanPrior
{
    /// <summary>Stem as published: the diffusion models the expression itself.</summary>
    None,

    /// <summary>
    /// The diffusion models the residual of a ridge regression on the same (standardized) features, as CARD (Han et al.,
    /// NeurIPS 2022) anchors a diffusion regressor on a pre-trained mean: prediction = ridge mean + sampled residual. The
    /// ridge is cross-fitted (out-of-fold predictions for the training residuals), so the residuals the diffusion learns
    /// have the spread of held-out errors, not the smaller in-sample ones. On small training sets this keeps the linear
    /// baseline's accuracy while the diffusion adds what it can learn beyond it and calibrated uncertainty.
    /// </summary>
    Ridge,
}
