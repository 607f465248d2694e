using MlNetStem.Data;
using MlNetStem.Host.Benchmarking;

namespace MlNetStem.Host.Commands;

/// <summary>Runs a cohort protocol (leave-one-section-out, leave-one-patient-out or a manifest split) for several trainers.</summary>
public sealed class BenchmarkCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "benchmark";

    /// <inheritdoc />
    public string Summary => "compare trainers on a cohort with the field's protocols; per-section tables, CSV and JSON";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("input", "sections (at least two): HER2ST folders, Space Ranger outs/, HEST-1k folders or .h5ad; comma-separated or repeated", "DIR"),
        SectionInputs.ManifestOption,
        new("split", "protocol: leave-one-section-out | leave-one-patient-out (needs patients in a --manifest) | manifest (its split column)",
            "NAME", "leave-one-section-out"),
        new("trainers", $"trainers to compare, comma-separated ({string.Join(", ", PipelineSettings.Trainers)})", "LIST", "ridge,hest-ridge"),
        new("output", "folder for benchmark.csv and benchmark.json", "DIR", "out/benchmark"),
        new("mpp", "microns per pixel of the images without one in the manifest (default: estimated from each spot grid)", "UM"),
        new("seed", "random seed", "N", "1"),
        .. PipelineSettings.CommandOptions.Where(o => o.Name != "trainer"),
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        var sections = SectionInputs.Parse(args);
        var split = args.Get("split", "leave-one-section-out") switch
        {
            "leave-one-section-out" => CohortSplit.LeaveOneSectionOut,
            "leave-one-patient-out" => CohortSplit.LeaveOnePatientOut,
            "manifest" => CohortSplit.Manifest,
            var other => throw new UsageException($"unknown --split '{other}' (leave-one-section-out, leave-one-patient-out, manifest)"),
        };
        IReadOnlyList<CohortFold> folds;
        try
        {
            folds = CohortSplits.Make(sections, split);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }
        var trainers = args.Get("trainers", "ridge,hest-ridge")!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal).ToArray();
        foreach (string trainer in trainers)
            if (!PipelineSettings.Trainers.Contains(trainer))
                throw new UsageException($"unknown trainer '{trainer}' in --trainers (available: {string.Join(", ", PipelineSettings.Trainers)})");
        if (trainers.Length == 0) throw new UsageException("--trainers names no trainer");
        var settings = PipelineSettings.From(args);
        string output = args.Get("output", "out/benchmark")!;
        OutputPaths.CheckFolder("output", output);
        int seed = args.GetInt("seed", 1);
        var ctx = Contexts.Create(seed, new ConsoleProgressReporter());

        var result = CohortBenchmark.Run(ctx, sections, split, folds, settings, trainers, seed, args.GetDouble("mpp"), Console.Error);

        Console.WriteLine();
        BenchmarkReport.WriteTables(Console.Out, result);
        Directory.CreateDirectory(output);
        string csv = Path.Combine(output, "benchmark.csv"), json = Path.Combine(output, "benchmark.json");
        AtomicFile.WriteAllText(csv, BenchmarkReport.ToCsv(result));
        AtomicFile.WriteAllText(json, BenchmarkReport.ToJson(result));
        Console.WriteLine();
        Console.WriteLine($"wrote {csv}, {json}");
        return 0;
    }
}
