using MlNetStem.Evaluation;

namespace MlNetStem.Host.Commands;

/// <summary>Scores a sequenced section with a model and reports the metrics.</summary>
public sealed class EvaluateCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "evaluate";

    /// <inheritdoc />
    public string Summary => "compare a model's predictions with a sequenced section's measured expression";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("input", "sequenced section(s): HER2ST folder, Space Ranger outs/, HEST-1k folder or .h5ad; several comma-separated or " +
            "repeated are scored one by one, one table column each", "DIR"),
        SectionInputs.ManifestOption,
        new("model", "model archive from 'train'", "FILE"),
        new("output", "also write the metrics as JSON here (several sections: an object keyed by section name)", "FILE"),
        new("mpp", "microns per pixel of the image (default: estimated from the spot grid)", "UM"),
        new("image", "image to use: full-resolution H&E for Space Ranger output, the image of a lone .h5ad (one --input only)", "FILE"),
        .. SamplingSettings.CommandOptions,
        PointEstimates.CommandOption,
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        var sections = SectionInputs.Parse(args);
        string? image = args.Get("image");
        if (image is not null && sections.Count > 1) throw new UsageException("--image applies to one --input section; give each section its image in its own folder");
        if (image is not null && !File.Exists(image)) throw new UsageException($"--image: '{image}' does not exist");
        var pointEstimate = PointEstimates.From(args);
        var sampling = SamplingSettings.From(args);
        if (args.Get("output") is { } outputPath) OutputPaths.CheckFile("output", outputPath);
        var ctx = Contexts.Create(1, new ConsoleProgressReporter());
        ITransformer model = ctx.SpatialExpression().LoadModel(args.Require("model"), out _);
        model = sampling.ApplyTo(model);
        sampling.CheckMemory(model);
        string name = Path.GetFileName(args.Require("model"));
        var rows = new List<(string, ExpressionMetrics)>();
        var chosen = new Dictionary<string, ExpressionMetrics>(StringComparer.Ordinal);
        foreach (var section in sections)
        {
            var data = SectionReader.Load(section.Path, requireCounts: true, section.MicronsPerPixel ?? args.GetDouble("mpp"), Console.Error, image);
            var (scored, _) = SectionScorer.Score(model, data, ctx.SpatialExpression().Progress, Console.Error);
            string label = sections.Count == 1 ? name : section.Name;
            var metrics = SectionScorer.Evaluate(ctx, scored, model);
            rows.Add((label, metrics));
            if (pointEstimate == PointEstimate.PreserveVariance)
            {
                // The mean of the draws next to the preserved estimate; the JSON holds the chosen one.
                metrics = SectionScorer.Evaluate(ctx, PointEstimates.PreserveVariance(ctx, scored));
                rows.Add(($"{label} ({PointEstimates.PreserveVarianceName})", metrics));
            }
            chosen[section.Name] = metrics;
        }
        if (sections.Count > 1) Console.WriteLine($"model {name} on {sections.Count} sections:");
        MetricsTable.Write(Console.Out, rows);
        if (args.Get("output") is { } json)
            AtomicFile.WriteAllText(json, sections.Count == 1 ? chosen.Values.Single().ToJson()
                : "{\n" + string.Join(",\n", chosen.Select(p => $"  {System.Text.Json.JsonSerializer.Serialize(p.Key)}: {p.Value.ToJson()}")) + "\n}\n");
        return 0;
    }
}
