using MlNetStem.Trainers.Diffusion;

namespace MlNetStem.Host;

/// <summary>Sampling choices for diffusion models, from the command line (null: the model's own).</summary>
/// <param name="Sampler">Sampler.</param>
/// <param name="Steps">Sampling steps.</param>
/// <param name="Draws">Draws per spot.</param>
/// <param name="Seed">Seed of the sampling noise.</param>
/// <param name="MemoryLimitBytes">Largest memory one prediction batch of draws may take.</param>
public sealed record SamplingSettings(DiffusionSampler? Sampler, int? Steps, int? Draws, int? Seed, long MemoryLimitBytes = SamplingSettings.DefaultMemoryLimitMiB << 20)
{
    /// <summary>Most draws per spot the command line accepts.</summary>
    public const int MaxDraws = 10_000;

    /// <summary>Default of <c>--sampling-memory</c>, in MiB (1 GiB).</summary>
    public const long DefaultMemoryLimitMiB = 1024;

    /// <summary>The options train, demo, predict and evaluate accept.</summary>
    public static IReadOnlyList<CommandOption> CommandOptions { get; } =
    [
        new("sampler", "diffusion sampler: ddpm (full ancestral) | respaced | ddim | dpm (DPM-Solver++ 2M)", "NAME", "the model's"),
        new("steps", "diffusion sampling steps (ddpm always runs all)", "N", "the model's"),
        new("draws", "diffusion draws per spot (prediction = their mean)", "N", "the model's, 20 in the CPU preset"),
        new("sample-seed", "seed of the diffusion sampling noise", "N", "the model's"),
        new("sampling-memory", "largest memory a batch of diffusion draws (draws × spots per batch × genes) may take, in MiB; " +
            "raise it for many draws of many genes", "MB", DefaultMemoryLimitMiB.ToString(System.Globalization.CultureInfo.InvariantCulture)),
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
        var draws = Positive("draws");
        if (draws > MaxDraws) throw new UsageException($"'--draws {draws}': at most {MaxDraws.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} draws per spot");
        int memory = args.GetInt("sampling-memory", (int)DefaultMemoryLimitMiB);
        if (memory <= 0) throw new UsageException($"'--sampling-memory {memory}': must be a positive number of MiB");
        return new SamplingSettings(sampler, Positive("steps"), draws, args.Get("sample-seed") is null ? null : args.GetInt("sample-seed", 0),
            (long)memory << 20);
    }

    /// <summary>
    /// Refuses, before any data is read, a diffusion model whose prediction batch (draws × spots per batch × genes, plus
    /// libtorch's working set) would need more than <see cref="MemoryLimitBytes"/>. Models without a diffusion trainer pass.
    /// </summary>
    /// <exception cref="UsageException">Over the limit; the message names --draws, the need and the limit.</exception>
    public void CheckMemory(ITransformer model)
    {
        var diffusion = (model as IEnumerable<ITransformer>)?.OfType<StemDiffusionTransformer>().FirstOrDefault() ?? model as StemDiffusionTransformer;
        if (diffusion is null) return;
        long need = diffusion.PredictionBatchBytes();
        if (need > MemoryLimitBytes)
            throw new UsageException(
                $"--draws {diffusion.Options.Draws}: a prediction batch ({diffusion.Options.Draws} draws × " +
                $"{(long)diffusion.Options.PredictionBatchSpots * diffusion.Options.EffectiveWorkers} spots × {diffusion.GeneCount} genes) needs " +
                $"{Mib(need)} MiB, more than the --sampling-memory limit of {Mib(MemoryLimitBytes)} MiB; use fewer --draws or raise --sampling-memory");
    }

    private static string Mib(long bytes) => bytes == long.MaxValue ? "more than 8,000,000,000,000" : (bytes / (1L << 20) + (bytes % (1L << 20) > 0 ? 1 : 0)).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Applies the given choices to diffusion options.</summary>
    public StemDiffusionOptions ApplyTo(StemDiffusionOptions options) => options with
    {
        Sampler = Sampler ?? options.Sampler,
        Steps = Steps ?? options.Steps,
        Draws = Draws ?? options.Draws,
        PredictionSeed = Seed ?? options.PredictionSeed,
    };

    /// <summary>
    /// The loaded pipeline with the choices applied to its diffusion model (a new pipeline; <paramref name="model"/> is
    /// not changed), or <paramref name="model"/> itself when no choice was given.
    /// </summary>
    /// <exception cref="UsageException">Sampling options given for a model without a diffusion trainer.</exception>
    public ITransformer ApplyTo(ITransformer model)
    {
        if (!Any) return model;
        if (model is StemDiffusionTransformer alone) return alone.WithSampling(ApplyTo);
        var steps = (model as IEnumerable<ITransformer>)?.ToArray();
        if (steps?.OfType<StemDiffusionTransformer>().FirstOrDefault() is not { } diffusion)
            throw new UsageException("--sampler/--steps/--draws/--sample-seed apply to diffusion (stem) models only");
        var replaced = diffusion.WithSampling(ApplyTo);
        return new TransformerChain<ITransformer>(steps.Select(t => ReferenceEquals(t, diffusion) ? replaced : t).ToArray());
    }
}
