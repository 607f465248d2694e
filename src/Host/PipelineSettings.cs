using MlNetStem.Trainers.Diffusion;
using MlNetStem.Transforms.Expression;
using MlNetStem.Transforms.Onnx;

namespace MlNetStem.Host;

/// <summary>The choices behind the standard pipeline, as given on the command line.</summary>
/// <param name="Genes">Panel size.</param>
/// <param name="Ranking">Panel ranking.</param>
/// <param name="PatchMicrons">Physical patch size.</param>
/// <param name="PatchPixels">Patch size in pixels.</param>
/// <param name="Alpha">Ridge penalty (null: generalized cross-validation).</param>
/// <param name="Pca">PCA components before ridge (0: none).</param>
/// <param name="MissingGenes">Panel genes absent from a section's counts.</param>
/// <param name="Encoders">
/// ONNX image encoders (absolute paths) for the "onnx" featurizer, concatenated in order, or the ResNet18 model for
/// "resnet18"; empty or null selects the built-in morphology featurizer.
/// </param>
/// <param name="EmbeddingCache">Folder caching ONNX embeddings between runs, or null.</param>
/// <param name="Trainer">Trainer name (one of <see cref="Trainers"/>; demo: several, comma-separated).</param>
/// <param name="Epochs">Training epochs for iterative trainers (null: the trainer's default).</param>
/// <param name="Sampling">Sampling choices for diffusion trainers.</param>
/// <param name="DihedralViews">Featurize the 8 flips/rotations of each patch; diffusion trainers train on all views, regressors use view 0.</param>
/// <param name="Prior">Mean prior of diffusion trainers (null: the preset's, none).</param>
/// <param name="CheckpointDirectory">Diffusion trainers: folder of resumable training checkpoints (null: none).</param>
/// <param name="CheckpointEvery">Epochs between checkpoints (null: the trainer's default, 10).</param>
/// <param name="ContextNeighbours">
/// Regressors (ridge, hest-ridge, mlp): also read the mean features of each spot's k nearest spots of its section
/// (NeighbourContext), concatenated to its own; 0 (default) for none.
/// </param>
/// <param name="SpotDiameterMicrons">ST-AnD (stand): diameter of the disk around each spot centre in which nuclei are detected
/// (ST/HER2ST 100 µm, Visium 55 µm).</param>
/// <param name="ResNet18">
/// The "resnet18" featurizer: <see cref="Encoders"/> holds ML.NET's pretrained ResNet18, fed with its own preprocessing
/// (<see cref="PretrainedEncoders.ResNet18"/>) rather than the ImageNet defaults of "onnx".
/// </param>
public sealed record PipelineSettings(
    int Genes = 250,
    GeneRanking Ranking = GeneRanking.ExpressedThenVariable,
    double PatchMicrons = 112,
    int PatchPixels = 224,
    double? Alpha = null,
    int Pca = 0,
    MissingGenePolicy MissingGenes = MissingGenePolicy.Zero,
    IReadOnlyList<string>? Encoders = null,
    string? EmbeddingCache = null,
    string Trainer = "ridge",
    int? Epochs = null,
    SamplingSettings? Sampling = null,
    bool DihedralViews = false,
    MeanPrior? Prior = null,
    string? CheckpointDirectory = null,
    int? CheckpointEvery = null,
    int ContextNeighbours = 0,
    bool ResNet18 = false,
    double SpotDiameterMicrons = 100)
{
    /// <summary>The featurizers the command line offers.</summary>
    public static IReadOnlyList<string> Featurizers { get; } = ["morphology", "onnx", "resnet18"];

    /// <summary>
    /// Trainers the command line offers: ridge, hest-ridge (HEST-Benchmark's linear probe), mlp, stem (diffusion, the CPU preset's residual-MLP denoiser),
    /// stem-dit (Stem's DiT denoiser, its own CPU preset), stem-fast (an alias of stem kept for compatibility), hisdiff
    /// (the stem preset conditioned on the 9 and 49 nearest spots by HisDiff's attention fusion) and stand (ST-AnD: per-nucleus
    /// expression learned from the spots by multiple-instance learning over nucleus crops; no patch features).
    /// </summary>
    public static IReadOnlyList<string> Trainers { get; } = ["ridge", "hest-ridge", "mlp", "stem", "stem-dit", "stem-fast", "hisdiff", "stand"];

    /// <summary>True for the names of diffusion trainers: stem, stem-dit, the alias stem-fast, and hisdiff.</summary>
    public static bool IsDiffusionTrainer(string trainer) => trainer is "stem" or "stem-dit" or "stem-fast" or "hisdiff";

    /// <summary>True when patches are embedded by ONNX encoders rather than the morphology featurizer.</summary>
    public bool UsesOnnx => Encoders is { Count: > 0 };

    /// <summary>The featurizer's command-line name: "resnet18", "onnx" or "morphology".</summary>
    public string Featurizer => ResNet18 && UsesOnnx ? "resnet18" : UsesOnnx ? "onnx" : "morphology";

    /// <summary>The ONNX encoders with their preprocessing: ResNet18's own for "resnet18", defaults for "onnx"; empty for morphology.</summary>
    public IReadOnlyList<OnnxEncoderOptions> EncoderOptions => !UsesOnnx
        ? []
        : ResNet18
            ? Encoders!.Select(path => PretrainedEncoders.ResNet18(Path.GetDirectoryName(path))).ToArray()
            : Encoders!.Select(path => new OnnxEncoderOptions(path)).ToArray();

    /// <summary>Options shared by train and demo.</summary>
    public static IReadOnlyList<CommandOption> CommandOptions { get; } =
    [
        new("genes", "gene panel size", "N", "250"),
        new("ranking", "panel ranking: expressed-then-variable | variable | expressed | stem (Stem's recipe: per-section scanpy HVGs (2000, seurat), less MT-/RPS/RPL genes, then the top by both mean and standard deviation of raw counts)", "NAME", "expressed-then-variable"),
        new("patch-um", "patch side in micrometres", "UM", "112"),
        new("patch-px", "patch side in pixels", "PX", "224"),
        new("trainer", "trainer: ridge | hest-ridge (HEST-Benchmark's probe: standardize, PCA 256, alpha 100/(D*G), no intercept) | mlp | stem (diffusion, residual-MLP denoiser: the CPU preset) | stem-dit (diffusion, Stem's DiT denoiser, 400 epochs, DPM-Solver++ 10 steps) | stem-fast (alias of stem, kept for compatibility) | hisdiff (the stem preset conditioned on each spot's 9 and 49 nearest spots by HisDiff's attention fusion) | stand (ST-AnD: nuclei detected in each spot, 14 µm crops, conv encoder + noisy-AND multiple-instance learning; per-nucleus maps with `nuclei --model`); demo: several, comma-separated, compared in one table", "NAME", "ridge"),
        new("epochs", "training epochs for mlp, stand and the diffusion trainers (default: the trainer's own)", "N"),
        new("spot-diameter-um", "stand only: diameter of the disk around each spot centre searched for nuclei (ST/HER2ST 100, Visium 55)", "UM", "100"),
        new("context", "regressors: also use the mean features of each spot's K nearest spots of its section (--trainer hisdiff attends to the 9 and 49 nearest by itself)", "K", "0"),
        new("prior", "diffusion trainers only: none (diffusion as published) | ridge (the diffusion models the residual of a cross-fitted ridge on the same features)", "NAME", "none"),
        new("augment", "none | dihedral (stem trains on the 8 flips/rotations of each patch; any featurizer)", "NAME", "none"),
        .. SamplingSettings.CommandOptions,
        new("featurizer", "featurizer: morphology | onnx (your encoder: --encoder) | resnet18 (ML.NET's pretrained ImageNet ResNet18, 512 features, installed by scripts/setup.sh)", "NAME", "morphology"),
        new("encoder", "ONNX image encoder for --featurizer onnx (repeat or A.onnx,B.onnx to concatenate several)", "PATH"),
        new("embedding-cache", "folder caching ONNX embeddings between runs (--featurizer onnx or resnet18)", "DIR"),
        new("alpha", "ridge penalty (default: chosen by generalized cross-validation)", "A"),
        new("pca", "PCA components before ridge (0 = none)", "N", "0"),
        new("missing-genes", "panel genes absent from a section: zero | error", "POLICY", "zero"),
    ];

    /// <summary>Reads the settings from parsed arguments.</summary>
    /// <param name="args">The parsed command line.</param>
    /// <exception cref="UsageException">Unknown names, invalid numbers, or encoders given without --featurizer onnx (or the reverse).</exception>
    public static PipelineSettings From(ParsedArguments args)
    {
        string trainer = args.Get("trainer", "ridge")!;
        foreach (var name in trainer.Split(','))
            if (!Trainers.Contains(name)) throw new UsageException($"unknown trainer '{name}' (available: {string.Join(", ", Trainers)})");
        string featurizer = args.Get("featurizer", "morphology")!;
        if (!Featurizers.Contains(featurizer)) throw new UsageException($"unknown featurizer '{featurizer}' (available: {string.Join(", ", Featurizers)})");
        var encoders = args.GetAll("encoder").SelectMany(Paths).ToArray();
        string? cache = args.Get("embedding-cache");
        if (featurizer == "onnx" && encoders.Length == 0)
            throw new UsageException("--featurizer onnx needs an ONNX image encoder: --encoder PATH");
        if (featurizer == "resnet18" && encoders.Length > 0)
            throw new UsageException("--featurizer resnet18 uses its own model; drop --encoder (or use --featurizer onnx)");
        if (featurizer == "morphology" && encoders.Length > 0)
            throw new UsageException("--encoder names an ONNX encoder; add --featurizer onnx");
        if (featurizer == "morphology" && cache is not null) throw new UsageException("--embedding-cache needs --featurizer onnx or resnet18");
        foreach (string encoder in encoders)
            if (!File.Exists(encoder)) throw new UsageException($"ONNX encoder '{encoder}' does not exist");
        if (featurizer == "resnet18")
        {
            try
            {
                encoders = [PretrainedEncoders.ResNet18().ModelPath];
            }
            catch (FileNotFoundException e)
            {
                throw new UsageException(e.Message);
            }
        }
        var prior = args.Get("prior") switch
        {
            null => (MeanPrior?)null,
            "none" => MeanPrior.None,
            "ridge" => MeanPrior.Ridge,
            var other => throw new UsageException($"unknown prior '{other}' (available: none, ridge)"),
        };
        if (prior is not null && !trainer.Split(',').Any(IsDiffusionTrainer))
            throw new UsageException($"--prior applies to diffusion (stem) trainers only, not to --trainer {trainer}");
        var settings = new PipelineSettings(
            Genes: args.GetInt("genes", 250),
            Ranking: args.Get("ranking", "expressed-then-variable") switch
            {
                "expressed-then-variable" => GeneRanking.ExpressedThenVariable,
                "variable" => GeneRanking.HighlyVariable,
                "expressed" => GeneRanking.HighlyExpressed,
                "stem" => GeneRanking.StemHighlyVariable,
                var other => throw new UsageException($"unknown ranking '{other}' (available: expressed-then-variable, variable, expressed, stem)"),
            },
            PatchMicrons: args.GetDouble("patch-um", 112)!.Value,
            PatchPixels: args.GetInt("patch-px", 224),
            Alpha: args.GetDouble("alpha"),
            Pca: args.GetInt("pca", 0),
            MissingGenes: args.Get("missing-genes", "zero") switch
            {
                "zero" => MissingGenePolicy.Zero,
                "error" => MissingGenePolicy.Error,
                var other => throw new UsageException($"unknown missing-genes policy '{other}' (zero | error)"),
            },
            Encoders: encoders,
            EmbeddingCache: cache is null ? null : Path.GetFullPath(cache),
            Trainer: trainer,
            Sampling: SamplingSettings.From(args),
            DihedralViews: args.Get("augment", "none") switch
            {
                "none" => false,
                "dihedral" => true,
                var other => throw new UsageException($"unknown augmentation '{other}' (none | dihedral)"),
            },
            Epochs: args.Get("epochs") is null ? null : args.GetInt("epochs", 0),
            Prior: prior,
            ContextNeighbours: args.GetInt("context", 0),
            ResNet18: featurizer == "resnet18",
            SpotDiameterMicrons: args.GetDouble("spot-diameter-um", 100)!.Value);
        if (!(settings.SpotDiameterMicrons > 0) || !double.IsFinite(settings.SpotDiameterMicrons))
            throw new UsageException("--spot-diameter-um must be a positive number of micrometres");
        if (settings.Epochs is <= 0) throw new UsageException("--epochs must be positive");
        if (settings.Genes <= 0) throw new UsageException("--genes must be positive");
        if (settings.PatchPixels < 16) throw new UsageException("--patch-px must be at least 16");
        if (settings.PatchMicrons <= 0) throw new UsageException("--patch-um must be positive");
        if (settings.Alpha is < 0) throw new UsageException("--alpha must be ≥ 0");
        if (settings.Pca < 0) throw new UsageException("--pca must be ≥ 0");
        if (settings.ContextNeighbours is < 0 or > 1024) throw new UsageException("--context must be a number of spots from 0 to 1024");
        if (settings.ContextNeighbours > 0 && trainer.Split(',').All(IsDiffusionTrainer))
            throw new UsageException("--context applies to the regressors (ridge, hest-ridge, mlp); for context in diffusion use --trainer hisdiff (9 and 49 nearest spots)");
        return settings;
    }

    /// <summary>
    /// Encoder paths, resolved against the current directory; the option may be repeated or
    /// hold a comma-separated list.
    /// </summary>
    private static IEnumerable<string> Paths(string? value) => value is null
        ? []
        : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Path.GetFullPath);
}
