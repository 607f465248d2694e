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
        new("input", "sequenced section: HER2ST folder, Space Ranger outs/, HEST-1k folder or .h5ad", "DIR"),
        new("model", "model archive from 'train'", "FILE"),
        new("output", "also write the metrics as JSON here", "FILE"),
        new("mpp", "microns per pixel of the image (default: estimated from the spot grid)", "UM"),
        .. SamplingSettings.CommandOptions,
        PointEstimates.CommandOption,
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string input = args.Require("input");
        var pointEstimate = PointEstimates.From(args);
        var sampling = SamplingSettings.From(args);
        if (args.Get("output") is { } outputPath) OutputPaths.CheckFile("output", outputPath);
        var ctx = Contexts.Create(1, new ConsoleProgressReporter());
        var model = ctx.SpatialExpression().LoadModel(args.Require("model"), out _);
        sampling.ApplyTo(model);
        sampling.CheckMemory(model);
        var data = SectionReader.Load(input, requireCounts: true, args.GetDouble("mpp"), Console.Error);
        var (scored, _) = SectionScorer.Score(model, data, ctx.SpatialExpression().Progress, Console.Error);
        string name = Path.GetFileName(args.Require("model"));
        var metrics = SectionScorer.Evaluate(ctx, scored);
        var rows = new List<(string, ExpressionMetrics)> { (name, metrics) };
        if (pointEstimate == PointEstimate.PreserveVariance)
        {
            // The mean of the draws next to the preserved estimate; the JSON holds the chosen one.
            metrics = SectionScorer.Evaluate(ctx, PointEstimates.PreserveVariance(ctx, scored));
            rows.Add(($"{name} ({PointEstimates.PreserveVarianceName})", metrics));
        }
        MetricsTable.Write(Console.Out, rows);
        if (args.Get("output") is { } json) AtomicFile.WriteAllText(json, metrics.ToJson());
        return 0;
    }
}
