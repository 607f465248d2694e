using System.Text.Json.Serialization;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// Options of <see cref="StemDiffusionEstimator"/>. The defaults are Stem's DiT at a small size; <see cref="Cpu"/> is the
/// tuned CPU preset and <see cref="Paper"/> the published configuration. Every value can be overridden with <c>with</c>.
/// </summary>
/// <param name="LabelColumn">Target expression vector (log2(count + 1) of the panel); its slot names are the genes.</param>
/// <param name="FeatureColumn">Condition: an embedding vector <c>[D]</c>, or <c>[A, D]</c> with A augmented views per spot
/// (training draws one view per sample per step; prediction uses view 0, which should be the unaugmented patch).</param>
/// <param name="OutputColumn">Mean of the draws; <c>{OutputColumn}Std</c>, <c>{OutputColumn}Draws</c>,
/// <c>{OutputColumn}Lower</c>/<c>Upper</c> and <c>{OutputColumn}Lower{P}</c>/<c>Upper{P}</c> are derived from it.</param>
/// <param name="Denoiser">Network predicting (ε, v): Stem's DiT or the faster residual MLP.</param>
/// <param name="Depth">Transformer blocks (or residual blocks).</param>
/// <param name="HiddenSize">Token width H of the DiT (and of the time/condition embedding).</param>
/// <param name="Heads">Attention heads; must divide <paramref name="HiddenSize"/>.</param>
/// <param name="MlpRatio">Width of the blocks' MLP as a multiple of H.</param>
/// <param name="ResidualWidth">Width of the residual-MLP denoiser; null means 4·H.</param>
/// <param name="DiffusionSteps">T, the number of training diffusion steps (linear β schedule scaled by 1000/T).</param>
/// <param name="LearningRate">AdamW learning rate.</param>
/// <param name="WeightDecay">AdamW decoupled weight decay (0 in the paper).</param>
/// <param name="BatchSize">Samples per optimizer step.</param>
/// <param name="Epochs">Passes over the training spots.</param>
/// <param name="EmaDecay">Decay of the weight average used for prediction; null picks <c>min(0.999, 1 − 10/steps)</c>
/// so short runs still average over about a tenth of training (the value then depends on <paramref name="Epochs"/>).</param>
/// <param name="StandardizeFeatures">Standardize the condition with training mean/std.</param>
/// <param name="StandardizeLabels">Diffuse per-gene standardized expression (mapped back at prediction). Off reproduces
/// the paper's raw log2 targets.</param>
/// <param name="MeanPrior">What the diffusion is centred on: nothing (Stem as published) or a cross-fitted ridge
/// regression on the same features, the diffusion then modelling the residual (<see cref="Diffusion.MeanPrior.Ridge"/>).</param>
/// <param name="PriorFolds">Folds of the prior's cross-fitting (out-of-fold training residuals).</param>
/// <param name="Seed">Seed of initialization, shuffling, augmentation views, timesteps and noise; null lets the catalog draw one.</param>
/// <param name="Threads">libtorch CPU threads per operation, set before training and prediction (process-wide); null leaves them alone.</param>
/// <param name="Workers">Data-parallel threads: training splits every batch into this many shards differentiated concurrently
/// (gradients summed in shard order), prediction samples this many groups of spots concurrently. With <paramref name="Threads"/> = 1
/// this uses the cores without the oversubscription of libtorch's OpenMP and OpenBLAS pools. Null means the processor count,
/// at most 4. Predictions do not depend on it; trained weights depend on it only through floating-point summation order.</param>
/// <param name="CheckpointDirectory">When set, training state is written there every <paramref name="CheckpointEvery"/> epochs
/// and <c>Fit</c> resumes from the latest checkpoint found there.</param>
/// <param name="CheckpointEvery">Epochs between checkpoints (the last epoch is always written).</param>
/// <param name="Sampler">Sampler used for prediction.</param>
/// <param name="Steps">Sampling steps; null means T for <see cref="DiffusionSampler.Ddpm"/>, 50 for respaced DDPM and DDIM, 10 for DPM-Solver++.
/// Ignored by <see cref="DiffusionSampler.Ddpm"/>, which always runs T steps.</param>
/// <param name="Eta">DDIM stochasticity (0 deterministic, 1 DDPM-like).</param>
/// <param name="Draws">Samples per spot; prediction is their mean.</param>
/// <param name="AntitheticDraws">Pair the draws: the second half of a spot's draws use the negated noise (initial and every
/// step) of the first half. Each draw is still a sample of the model, but the mean of the draws — the prediction — has much
/// less Monte-Carlo noise (classic antithetic variates), which matters at 20 draws.</param>
/// <param name="PredictionSeed">Seed of the sampling noise; a spot's draws depend only on this seed, the spot's row index and its features.</param>
/// <param name="OutputDraws">Also output every draw as <c>{OutputColumn}Draws</c> [Draws, genes].</param>
/// <param name="IntervalLevels">Central quantile intervals of the draws to output (e.g. 0.8 → 10th and 90th percentile).</param>
/// <param name="ClipDenoised">Clamp every denoised estimate during sampling to the gene's training range widened by half
/// its width on each side (IDDPM's clip_denoised with data-derived bounds); keeps few-step samplers of a barely trained
/// model from producing absurd values.</param>
/// <param name="PredictionBatchSpots">Spots denoised together (batch = spots × draws).</param>
/// <param name="DropLastBatch">Skip an epoch's last, partial batch (Stem's <c>drop_last=True</c>).</param>
/// <param name="AllViewsPerEpoch">An epoch trains on every augmented view of every spot (Stem's 8N rows: the patch and its
/// 7 flips/rotations) rather than one random view per spot.</param>
/// <param name="PaperInitialization">Initialize as Stem's code: the gene-name table uniform in ±1/√H (PyTorch's
/// kaiming_uniform with a = √5) and the condition MLP N(0, 0.02²), instead of N(0, 0.02²) and Xavier.</param>
/// <param name="CalibrationFraction">Share of the training rows held out (one contiguous block) to calibrate the interval
/// levels: a model trained on the rest samples them, and each level's intervals are widened or narrowed around their centre
/// by the split-conformal scale that makes them cover that share of the held-out values (stored in the model). Costs a
/// second training; 0 leaves the intervals as the draws' raw quantiles.</param>
/// <param name="ContextColumns">HisDiff: context columns <c>[k, D]</c> with their <c>{name}Mask</c> <c>[k]</c> columns (as
/// <c>NeighbourContext</c> writes them, e.g. the 9 and the 49 nearest spots). When set, the condition network is HisDiff's
/// attention fusion (<see cref="ContextHeads"/>) of the spot's own embedding with each set, instead of Stem's MLP; null or
/// empty is Stem.</param>
/// <param name="ContextHeads">Attention heads of the context fusion (8 in HisDiff).</param>
/// <param name="ContextAttentionWidth">Width of the fusion's queries, keys and values; null means the embedding width D
/// (HisDiff) rounded up to a multiple of <see cref="ContextHeads"/>.</param>
/// <param name="GeneBlockSize">Split a larger panel into blocks of this many consecutive genes, each with its own
/// denoiser (<c>gene_blocks.{b}.*</c>); blocks are conditionally independent given the image. Null (or at least the panel
/// size) is one denoiser over the whole panel, as published.</param>
public sealed record StemDiffusionOptions(
    string LabelColumn = "Expression",
    string FeatureColumn = "Features",
    string OutputColumn = "Score",
    DenoiserKind Denoiser = DenoiserKind.Dit,
    int Depth = 2,
    int HiddenSize = 64,
    int Heads = 2,
    int MlpRatio = 4,
    int? ResidualWidth = null,
    int DiffusionSteps = 1000,
    double LearningRate = 1e-3,
    double WeightDecay = 0,
    int BatchSize = 64,
    int Epochs = 150,
    double? EmaDecay = null,
    bool StandardizeFeatures = true,
    bool StandardizeLabels = true,
    MeanPrior MeanPrior = MeanPrior.None,
    int PriorFolds = 5,
    int? Seed = null,
    int? Threads = 1,
    int? Workers = null,
    string? CheckpointDirectory = null,
    int CheckpointEvery = 10,
    DiffusionSampler Sampler = DiffusionSampler.RespacedDdpm,
    int? Steps = null,
    double Eta = 0,
    int Draws = 20,
    bool AntitheticDraws = false,
    int PredictionSeed = 0,
    bool OutputDraws = false,
    IReadOnlyList<double>? IntervalLevels = null,
    int PredictionBatchSpots = 64,
    bool ClipDenoised = true,
    bool DropLastBatch = false,
    bool AllViewsPerEpoch = false,
    bool PaperInitialization = false,
    double CalibrationFraction = 0,
    IReadOnlyList<string>? ContextColumns = null,
    int ContextHeads = 8,
    int? ContextAttentionWidth = null,
    int? GeneBlockSize = null)
{
    /// <summary>The context columns of <see cref="HisDiff"/> and <see cref="HisDiffPaper"/>: the 9 nearest spots
    /// (HisDiff's "neighbour" context) and the 49 nearest (its "global" context).</summary>
    public static IReadOnlyList<string> DefaultContextColumns { get; } = ["NeighbourContext", "GlobalContext"];

    /// <summary>Spots in each of <see cref="DefaultContextColumns"/>, the spot itself included: 9 and 49.</summary>
    public static IReadOnlyList<int> DefaultContextSizes { get; } = [9, 49];

    /// <summary>
    /// HisDiff as published (wenwenmin/HisDiff): Stem's DiT (12 blocks, hidden 384, 12 heads) conditioned on the attention
    /// fusion of the spot's embedding with its 9 and 49 nearest spots (8 heads), raw log2(x+1) targets and features,
    /// AdamW 1e-4, batch 128, 2000 epochs, no weight averaging, 1000-step DDPM with one draw per spot. Needs a GPU.
    /// </summary>
    public static StemDiffusionOptions HisDiffPaper { get; } = new(Depth: 12, HiddenSize: 384, Heads: 12, LearningRate: 1e-4,
        BatchSize: 128, Epochs: 2000, EmaDecay: 0, StandardizeFeatures: false, StandardizeLabels: false, Sampler: DiffusionSampler.Ddpm,
        Draws: 1, ClipDenoised: false, PaperInitialization: true, ContextColumns: DefaultContextColumns);

    /// <summary>
    /// HisDiff on CPU: the <see cref="Cpu"/> preset (residual-MLP denoiser, its optimizer and sampler, 20 antithetic draws
    /// for a mean and an uncertainty) with HisDiff's context fusion over the 9 and 49 nearest spots.
    /// </summary>
    public static StemDiffusionOptions HisDiff => Cpu with { ContextColumns = DefaultContextColumns };

    /// <summary><see cref="HisDiff"/> adapted to a panel of <paramref name="genes"/> genes: above 50 genes, blocks of
    /// <see cref="CpuGeneBlockSize"/> genes, each with its own denoiser and fusion (HisDiff's CPU preset is the
    /// <see cref="Cpu"/> preset, tuned at 50 genes). Never the ridge prior: a ridge over the context-wide condition row
    /// (59 embeddings) would be too wide.</summary>
    /// <param name="genes">Panel size.</param>
    public static StemDiffusionOptions HisDiffFor(int genes) =>
        HisDiff with { GeneBlockSize = genes > CpuGeneBlockSize ? CpuGeneBlockSize : null };

    /// <summary>Whether the condition includes context sets (HisDiff).</summary>
    [JsonIgnore]
    public bool HasContext => ContextColumns is { Count: > 0 };

    /// <summary>The context attention width in effect for embeddings of width <paramref name="embedding"/>.</summary>
    public int EffectiveContextAttentionWidth(int embedding) =>
        ContextAttentionWidth ?? (embedding + ContextHeads - 1) / ContextHeads * ContextHeads;

    /// <summary>Interval levels used when <see cref="IntervalLevels"/> is null: 0.8 and 0.9.</summary>
    public static IReadOnlyList<double> DefaultIntervalLevels { get; } = [0.8, 0.9];

    /// <summary>The official Stem recipe (stem_train.py / stem_sample.py; fidelity table in the Diffusion README): DiT depth
    /// 12, hidden 384, 6 heads, AdamW 1e-4 without weight decay, batch 256 with the last partial batch dropped, 4000 epochs
    /// over every augmented view of every spot, EMA 0.9999, raw log2(x+1) targets and raw embeddings, Stem's initialization,
    /// 1000-step ancestral DDPM with 20 draws and no clipping. Needs a GPU to train in reasonable time.</summary>
    public static StemDiffusionOptions Paper { get; } = new(Depth: 12, HiddenSize: 384, Heads: 6, LearningRate: 1e-4,
        BatchSize: 256, Epochs: 4000, EmaDecay: 0.9999, StandardizeFeatures: false, StandardizeLabels: false, Sampler: DiffusionSampler.Ddpm,
        ClipDenoised: false, DropLastBatch: true, AllViewsPerEpoch: true, PaperInitialization: true);

    /// <summary>
    /// The CPU preset: the residual-MLP denoiser (depth 2, width 256), AdamW lr 3e-4 with weight decay 1, batch 64,
    /// 300 epochs, respaced ancestral DDPM with 100 steps and 20 antithetic draws, data-parallel over the cores. The
    /// optimizer settings were chosen on a spatial validation split of the training section only (bench/StemBench
    /// <c>sweep --validate</c>); on the bundled sample it trains in seconds and is more accurate than the DiT at this size,
    /// which is why it is the CPU default. <see cref="CpuDit"/> is the DiT counterpart.
    /// </summary>
    public static StemDiffusionOptions Cpu { get; } = new(Denoiser: DenoiserKind.ResidualMlp, LearningRate: 3e-4, WeightDecay: 1, Epochs: 300,
        Steps: 100, AntitheticDraws: true, CalibrationFraction: 0.2);

    /// <summary>
    /// The CPU preset adapted to a panel of <paramref name="genes"/> genes: <see cref="Cpu"/> up to 50 genes; up to
    /// <see cref="CpuMaxGeneBlocks"/> blocks of 50 consecutive genes, each with its own denoiser (<see cref="GeneBlockSize"/>),
    /// up to 500 genes; centred on the cross-fitted ridge prior (<see cref="MeanPrior.Ridge"/>) above. One denoiser over a
    /// 250- or 1000-gene panel loses the image signal on a section-sized training set. Chosen on a spatial validation split
    /// of the training section only (bench/StemBench <c>sweep --validate --blocks|--prior</c>, <c>chunks</c>): at 250 genes
    /// blocks 0.367 against the prior's 0.349 (ridge 0.352); at 1000 the two tie (0.336 and 0.338, ridge 0.323) and the
    /// prior trains about ten times faster than 20 blocks. Figures in src/Trainers/Diffusion/README.md.
    /// </summary>
    /// <param name="genes">Panel size.</param>
    public static StemDiffusionOptions CpuFor(int genes) => genes <= CpuGeneBlockSize ? Cpu
        : genes <= CpuGeneBlockSize * CpuMaxGeneBlocks ? Cpu with { GeneBlockSize = CpuGeneBlockSize }
        : Cpu with { MeanPrior = MeanPrior.Ridge };

    /// <summary>The most gene blocks <see cref="CpuFor(int)"/> trains; larger panels use the ridge prior instead.</summary>
    public const int CpuMaxGeneBlocks = 10;

    /// <summary>The gene block size of <see cref="CpuFor(int)"/>: the panel size the CPU preset was tuned at.</summary>
    public const int CpuGeneBlockSize = 50;

    /// <summary>
    /// Stem's DiT on CPU: depth 2, hidden 64, 2 heads, lr 1e-3, 400 epochs (about 1.5 minutes on 2 cores for the bundled
    /// section), DPM-Solver++(2M) with 10 steps and 20 antithetic draws — within 0.01 mean PCC of 1000-step DDPM at a
    /// hundredth of its cost (bench/StemBench).
    /// </summary>
    public static StemDiffusionOptions CpuDit { get; } = new(Denoiser: DenoiserKind.Dit, Epochs: 400, Sampler: DiffusionSampler.DpmSolver2M,
        Steps: 10, AntitheticDraws: true, CalibrationFraction: 0.2);

    /// <summary>The interval levels in effect.</summary>
    [JsonIgnore]
    public IReadOnlyList<double> EffectiveIntervalLevels => IntervalLevels ?? DefaultIntervalLevels;

    /// <summary>The sampling steps in effect.</summary>
    [JsonIgnore]
    public int EffectiveSteps => Sampler switch
    {
        DiffusionSampler.Ddpm => DiffusionSteps,
        _ when Steps is { } s => s,
        DiffusionSampler.DpmSolver2M => 10,
        _ => 50,
    };

    /// <summary>The data-parallel worker count in effect.</summary>
    [JsonIgnore]
    public int EffectiveWorkers => Workers ?? Math.Clamp(ComputeThreads.Count, 1, 4);

    /// <summary>The residual-MLP width in effect.</summary>
    [JsonIgnore]
    public int EffectiveResidualWidth => ResidualWidth ?? 4 * HiddenSize;
}
