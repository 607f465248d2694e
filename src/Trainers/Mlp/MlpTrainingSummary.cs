using System.Text.Json.Serialization;

namespace MlNetStem.Trainers.Mlp;

/// <summary>How an <see cref="MlpTransformer"/> was trained. Losses are mean squared errors in the
/// space the network was trained in (standardized labels unless <see cref="MlpOptions.StandardizeLabels"/> is off).</summary>
/// <param name="Epochs">Epochs run (fewer than asked when early stopping ended training).</param>
/// <param name="TrainingLoss">Mean minibatch loss of the last epoch.</param>
/// <param name="BestEpoch">With early stopping, the epoch whose averaged weights were kept.</param>
/// <param name="BestValidationLoss">With early stopping, the validation loss of those weights.</param>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record MlpTrainingSummary(int Epochs, double TrainingLoss, int? BestEpoch, double? BestValidationLoss);
