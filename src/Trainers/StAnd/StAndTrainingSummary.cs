namespace MlNetStem.Trainers.StAnd;

/// <summary>What an ST-AnD fit did.</summary>
/// <param name="Epochs">Epochs run.</param>
/// <param name="SpotLoss">Mean squared error of the spot predictions in the last epoch (label units).</param>
/// <param name="TrainingSpots">Spots trained on (those with at least one nucleus).</param>
/// <param name="TrainingNuclei">Nuclei in those spots.</param>
/// <param name="Seconds">Wall-clock training time.</param>
public sealed record StAndTrainingSummary(int Epochs, double SpotLoss, int TrainingSpots, int TrainingNuclei, double Seconds);
