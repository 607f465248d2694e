using System.Text.Json.Serialization;

namespace MlNetStem.Trainers.StAnd;

/// <summary>Options of <see cref="StAndEstimator"/>. <see cref="Cpu"/> is the default; <see cref="Paper"/> is ST-AnD's configuration.</summary>
/// <param name="LabelColumn">Spot expression [G] (log2(x + 1) of the panel).</param>
/// <param name="CropColumn">Nucleus crops <c>[MaxNuclei, 3, S, S]</c> (<c>ml.Transforms.LoadNucleusCrops</c>), S divisible by 4.</param>
/// <param name="MaskColumn">Nucleus mask <c>[MaxNuclei]</c> (1 for a nucleus, 0 for padding).</param>
/// <param name="OutputColumn">Predicted spot expression [G].</param>
/// <param name="NucleusOutputColumn">Predicted per-nucleus expression <c>[MaxNuclei, G]</c>: log2(1 + cᵢ), cᵢ the counts nucleus i
/// contributes in a spot made of copies of it (see docs/STAND.md); 0 for padding rows.</param>
/// <param name="Encoder">Nucleus encoder: a plain conv encoder, or ST-AnD's VQ-VAE.</param>
/// <param name="LatentChannels">Channels of the encoder's latent grid (S/4 × S/4 × channels: 7 × 7 × 16 = 784 features at 28 px).</param>
/// <param name="CodebookSize">VQ-VAE codebook entries.</param>
/// <param name="CommitmentCost">VQ-VAE commitment weight β.</param>
/// <param name="ReconstructionWeight">Weight of the VQ-VAE's crop reconstruction loss (MSE / variance of the crops).</param>
/// <param name="Pooling">Multiple-instance pooling of a spot's nuclei.</param>
/// <param name="NoisyAndGamma">Slope γ of noisy-AND.</param>
/// <param name="PoolingExponent">r of the generalized mean and of log-sum-exp.</param>
/// <param name="CellScale">β of the spot output: pooled value × β × nuclei in the spot, times a learned per-gene scale.</param>
/// <param name="Dropout">Dropout after each layer of the genomic decoder.</param>
/// <param name="LearningRate">AdamW learning rate.</param>
/// <param name="WeightDecay">AdamW decoupled weight decay.</param>
/// <param name="BatchSize">Spots per minibatch.</param>
/// <param name="Epochs">Passes over the training spots.</param>
/// <param name="Augment">Random flips/transposes (the dihedral group) of each crop while training.</param>
/// <param name="Seed">Seed of initialization, shuffling, augmentation and dropout; null lets the catalog draw one (0 when the
/// estimator is created directly).</param>
/// <param name="Threads">libtorch CPU threads set before training (process-wide); null leaves the setting alone.</param>
public sealed record StAndOptions(
    string LabelColumn = "Expression",
    string CropColumn = "NucleusCrops",
    string MaskColumn = "NucleusMask",
    string OutputColumn = "Score",
    string NucleusOutputColumn = "NucleusScore",
    StAndEncoder Encoder = StAndEncoder.Conv,
    int LatentChannels = 16,
    int CodebookSize = 1024,
    double CommitmentCost = 0.25,
    double ReconstructionWeight = 1,
    StAndPooling Pooling = StAndPooling.NoisyAnd,
    double NoisyAndGamma = 5,
    double PoolingExponent = 2.5,
    double CellScale = 0.05,
    double Dropout = 0.2,
    double LearningRate = 1e-3,
    double WeightDecay = 0,
    int BatchSize = 8,
    int Epochs = 30,
    bool Augment = true,
    int? Seed = null,
    int? Threads = 1)
{
    /// <summary>CPU default: the plain conv encoder trained end to end with the genomic decoder and noisy-AND, 30 epochs.</summary>
    public static StAndOptions Cpu { get; } = new();

    /// <summary>ST-AnD's configuration: VQ-VAE (codebook 1024 × 16, commitment 0.25, reconstruction loss), noisy-AND, 100 epochs,
    /// batches of 8 spots, learning rate 1e-3.</summary>
    public static StAndOptions Paper { get; } = new(Encoder: StAndEncoder.VqVae, Epochs: 100);

    /// <summary>True when the encoder quantizes its latent and reconstructs the crop.</summary>
    [JsonIgnore]
    public bool IsVqVae => Encoder == StAndEncoder.VqVae;

    /// <summary>Checks the values once, when the estimator is built.</summary>
    /// <exception cref="ArgumentException">An option is out of range or a column name is empty.</exception>
    public void Validate()
    {
        foreach (var name in new[] { LabelColumn, CropColumn, MaskColumn, OutputColumn, NucleusOutputColumn }) ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (OutputColumn == NucleusOutputColumn) throw new ArgumentException($"The spot and nucleus outputs need two names, got '{OutputColumn}' twice.");
        if (LatentChannels is < 1 or > 512) throw new ArgumentException($"ST-AnD latent channels must be 1–512, got {LatentChannels}.");
        if (IsVqVae && CodebookSize is < 2 or > 65536) throw new ArgumentException($"ST-AnD codebook size must be 2–65536, got {CodebookSize}.");
        if (!(CommitmentCost >= 0) || !double.IsFinite(CommitmentCost)) throw new ArgumentException($"ST-AnD commitment cost must be ≥ 0, got {CommitmentCost}.");
        if (!(ReconstructionWeight >= 0) || !double.IsFinite(ReconstructionWeight)) throw new ArgumentException($"ST-AnD reconstruction weight must be ≥ 0, got {ReconstructionWeight}.");
        if (!(NoisyAndGamma > 0) || !double.IsFinite(NoisyAndGamma)) throw new ArgumentException($"ST-AnD noisy-AND γ must be positive, got {NoisyAndGamma}.");
        if (!(PoolingExponent > 0) || !double.IsFinite(PoolingExponent)) throw new ArgumentException($"ST-AnD pooling exponent must be positive, got {PoolingExponent}.");
        if (!(CellScale > 0) || !double.IsFinite(CellScale)) throw new ArgumentException($"ST-AnD cell scale β must be positive, got {CellScale}.");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"ST-AnD dropout must be in [0, 1), got {Dropout}.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"ST-AnD learning rate must be positive and finite, got {LearningRate}.");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"ST-AnD weight decay must be ≥ 0, got {WeightDecay}.");
        if (BatchSize < 1) throw new ArgumentException($"ST-AnD batch size must be ≥ 1 spot, got {BatchSize}.");
        if (Epochs < 1) throw new ArgumentException($"ST-AnD epochs must be ≥ 1, got {Epochs}.");
        if (Threads is < 1) throw new ArgumentException($"ST-AnD threads must be ≥ 1, got {Threads}.");
    }
}
