using MlNetStem.Trainers.Diffusion;

namespace MlNetStem.Host;

/// <summary>Sampling choices for diffusion models, from the command line (null: the model's own).</summary>
/// <param name="Sampler">Sampler.</param>
/// <param name="Steps">Sampling steps.</param>
/// <param name="Draws">Draws per spot.</param>
/// <param name="Seed">Seed of the sampling noise.</param>
public sealed record SamplingSettings(DiffusionSampler? Sampler, int? Steps, int? Draws, int? Seed)
{
    /// <summary>The options train, demo, predict and evaluate accept.</summary>
    public static IReadOnlyList<CommandOption> CommandOptions { get; } =
    [
        new("sampler", "diffusion sampler: ddpm (full ancestral) | respaced | ddim | dpm (DPM-Solver++ 2M)", "NAME", "the model's"),
        new("steps", "diffusion sampling steps (ddpm always runs all)", "N", "the model's"),
        new("draws", "diffusion draws per spot (prediction = their mean)", "N", "the model's, 20 in the CPU preset"),
        new("sample-seed", "seed of the diffusion sampling noise", "N", "the model's"),
    ];

    /// <summary>True when any sampling option was given.</summary>
    public bool Any => Sampler is not null || Steps is not null || Draws is not null || Seed is not null;

    /// <summary>Reads the options.</summary>
    /// <exception cref="UsageException">Unknown sampler or non-positive numbers.</exception>
    public static SamplingSettings From(ParsedArguments args)
    {
        var sampler = args.Get("sampler") switch
        {
            null => (DiffusionSampler?)null,
            "ddpm" => DiffusionSampler.Ddpm,
            "respaced" => DiffusionSampler.RespacedDdpm,
            "ddim" => DiffusionSampler.Ddim,
            "dpm" => DiffusionSampler.DpmSolver2M,
            var other => throw new UsageException($"unknown sampler '{other}' (ddpm | respaced | ddim | dpm)"),
        };
        int? Positive(string name)
        {
            if (args.Get(name) is null) return null;
            int v = args.GetInt(name, 0);
            return v > 0 ? v : throw new UsageException($"--{name} must be positive");
        }
        return new SamplingSettings(sampler, Positive("steps"), Positive("draws"), args.Get("sample-seed") is null ? null : args.GetInt("sample-seed", 0));
    }

    /// <summary>Applies the given choices to diffusion options.</summary>
    public StemDiffusionOptions ApplyTo(StemDiffusionOptions options) => options with
    {
        Sampler = Sampler ?? options.Sampler,
        Steps = Steps ?? options.Steps,
        Draws = Draws ?? options.Draws,
        PredictionSeed = Seed ?? options.PredictionSeed,
    };

    /// <summary>
    /// Applies the choices to the diffusion model inside a loaded pipeline.
    /// </summary>
    /// <exception cref="UsageException">Sampling options given for a model without a diffusion trainer.</exception>
    public void ApplyTo(ITransformer model)
    {
        if (!Any) return;
        var diffusion = (model as IEnumerable<ITransformer>)?.OfType<StemDiffusionTransformer>().FirstOrDefault()
            ?? model as StemDiffusionTransformer
            ?? throw new UsageException("--sampler/--steps/--draws/--sample-seed apply to diffusion (stem) models only");
        diffusion.WithSampling(ApplyTo);
    }
}
