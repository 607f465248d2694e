using System.Text.Json.Serialization;

namespace MlNetStem.Trainers.Mlp;

/// <summary>Options of <see cref="MlpEstimator"/>.</summary>
/// <param name="LabelColumn">Target expression vector (e.g. log-normalized panel).</param>
/// <param name="FeatureColumn">Image features (morphology or foundation-model embedding).</param>
/// <param name="OutputColumn">Predicted expression column.</param>
/// <param name="HiddenSizes">Widths of the hidden layers; null means <see cref="DefaultHiddenSizes"/> ([256]); empty gives a linear model.</param>
/// <param name="Activation">Non-linearity after each hidden layer.</param>
/// <param name="Dropout">Dropout probability after each hidden activation, in [0, 1).</param>
/// <param name="LearningRate">AdamW learning rate.</param>
/// <param name="WeightDecay">AdamW decoupled weight decay.</param>
/// <param name="BatchSize">Rows per minibatch.</param>
/// <param name="Epochs">Maximum passes over the training rows.</param>
/// <param name="EarlyStoppingPatience">When positive, hold out <paramref name="ValidationFraction"/> of the rows (seeded),
/// keep the weights of the epoch with the lowest validation loss and stop after this many epochs without improvement.</param>
/// <param name="ValidationFraction">Share of rows held out for early stopping.</param>
/// <param name="EmaDecay">Decay of the exponential moving average of the weights used for prediction; null picks
/// <c>min(0.999, 1 − 10/steps)</c> so that short runs still average over about a tenth of training.</param>
/// <param name="StandardizeLabels">Train on standardized labels (every gene weighs the same in the loss); predictions are mapped back.</param>
/// <param name="Seed">Seed of initialization, shuffling, dropout and the validation split; null lets the catalog draw one from
/// <see cref="SpatialExpressionCatalog.NextSeed"/> (seed 0 when the estimator is created directly).</param>
/// <param name="Threads">libtorch CPU threads set before training (process-wide); null leaves the setting alone.
/// 1 is fastest for small networks on small machines (see NATIVE-NOTES).</param>
public sealed record MlpOptions(
    string LabelColumn = "Expression",
    string FeatureColumn = "Features",
    string OutputColumn = "Score",
    IReadOnlyList<int>? HiddenSizes = null,
    MlpActivation Activation = MlpActivation.Silu,
    double Dropout = 0.1,
    double LearningRate = 1e-3,
    double WeightDecay = 1e-4,
    int BatchSize = 64,
    int Epochs = 200,
    int EarlyStoppingPatience = 0,
    double ValidationFraction = 0.1,
    double? EmaDecay = null,
    bool StandardizeLabels = true,
    int? Seed = null,
    int? Threads = 1)
{
    /// <summary>Hidden layer widths used when <see cref="HiddenSizes"/> is null.</summary>
    public static IReadOnlyList<int> DefaultHiddenSizes { get; } = [256];

    /// <summary>The hidden widths in effect.</summary>
    [JsonIgnore]
    public IReadOnlyList<int> EffectiveHiddenSizes => HiddenSizes ?? DefaultHiddenSizes;
}
