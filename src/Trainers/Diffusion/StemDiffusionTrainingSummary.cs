namespace MlNetStem.Trainers.Diffusion;

/// <summary>What a Stem diffusion training run did.</summary>
/// <param name="Epochs">Epochs completed in total (including those restored from a checkpoint).</param>
/// <param name="FinalLoss">Mean hybrid loss (MSE(ε) + VB) of the last epoch; NaN if every epoch came from a checkpoint.</param>
/// <param name="ResumedFromEpoch">Epoch of the checkpoint training resumed from, if any.</param>
/// <param name="EmaDecay">Decay of the weight average used for prediction.</param>
/// <param name="ParameterCount">Trainable scalars of the denoiser.</param>
public sealed record StemDiffusionTrainingSummary(int Epochs, double FinalLoss, int? ResumedFromEpoch, double EmaDecay, long ParameterCount);
