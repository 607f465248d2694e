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
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string input = args.Require("input");
        var ctx = new StemContext { Progress = new ConsoleProgressReporter() };
        var model = ctx.Model.Load(args.Require("model"), out _);
        SamplingSettings.From(args).ApplyTo(model);
        var data = SectionReader.Load(input, requireCounts: true, args.GetDouble("mpp"), Console.Error);
        var (scored, _) = SectionScorer.Score(model, data, ctx.Progress, Console.Error);
        var metrics = SectionScorer.Evaluate(ctx, scored);
        MetricsTable.Write(Console.Out, [(Path.GetFileName(args.Require("model")), metrics)]);
        if (args.Get("output") is { } json) AtomicFile.WriteAllText(json, metrics.ToJson());
        return 0;
    }
}
