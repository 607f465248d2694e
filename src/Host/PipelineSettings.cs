using MlNetStem.Transforms.Expression;

namespace MlNetStem.Host;

/// <summary>The choices behind the standard pipeline, as given on the command line.</summary>
/// <param name="Genes">Panel size.</param>
/// <param name="Ranking">Panel ranking.</param>
/// <param name="PatchMicrons">Physical patch size.</param>
/// <param name="PatchPixels">Patch size in pixels.</param>
/// <param name="Alpha">Ridge penalty (null: generalized cross-validation).</param>
/// <param name="Pca">PCA components before ridge (0: none).</param>
/// <param name="MissingGenes">Panel genes absent from a section's counts.</param>
public sealed record PipelineSettings(
    int Genes = 250,
    GeneRanking Ranking = GeneRanking.ExpressedThenVariable,
    double PatchMicrons = 112,
    int PatchPixels = 224,
    double? Alpha = null,
    int Pca = 0,
    MissingGenePolicy MissingGenes = MissingGenePolicy.Zero)
{
    /// <summary>Options shared by train and demo.</summary>
    public static IReadOnlyList<CommandOption> CommandOptions { get; } =
    [
        new("genes", "gene panel size", "N", "250"),
        new("ranking", "panel ranking: expressed-then-variable | variable | expressed", "NAME", "expressed-then-variable"),
        new("patch-um", "patch side in micrometres", "UM", "112"),
        new("patch-px", "patch side in pixels", "PX", "224"),
        new("trainer", "trainer: ridge", "NAME", "ridge"),
        new("featurizer", "featurizer: morphology", "NAME", "morphology"),
        new("alpha", "ridge penalty (default: chosen by generalized cross-validation)", "A"),
        new("pca", "PCA components before ridge (0 = none)", "N", "0"),
        new("missing-genes", "panel genes absent from a section: zero | error", "POLICY", "zero"),
    ];

    /// <summary>Reads the settings from parsed arguments.</summary>
    /// <exception cref="UsageException">Unknown names or invalid numbers.</exception>
    public static PipelineSettings From(ParsedArguments args)
    {
        string trainer = args.Get("trainer", "ridge")!;
        if (trainer != "ridge") throw new UsageException($"unknown trainer '{trainer}' (available: ridge)");
        string featurizer = args.Get("featurizer", "morphology")!;
        if (featurizer != "morphology") throw new UsageException($"unknown featurizer '{featurizer}' (available: morphology)");
        var settings = new PipelineSettings(
            Genes: args.GetInt("genes", 250),
            Ranking: args.Get("ranking", "expressed-then-variable") switch
            {
                "expressed-then-variable" => GeneRanking.ExpressedThenVariable,
                "variable" => GeneRanking.HighlyVariable,
                "expressed" => GeneRanking.HighlyExpressed,
                var other => throw new UsageException($"unknown ranking '{other}'"),
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
            });
        if (settings.Genes <= 0) throw new UsageException("--genes must be positive");
        if (settings.PatchPixels < 16) throw new UsageException("--patch-px must be at least 16");
        if (settings.PatchMicrons <= 0) throw new UsageException("--patch-um must be positive");
        if (settings.Alpha is < 0) throw new UsageException("--alpha must be ≥ 0");
        if (settings.Pca < 0) throw new UsageException("--pca must be ≥ 0");
        return settings;
    }
}
