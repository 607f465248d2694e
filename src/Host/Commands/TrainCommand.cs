using System.Diagnostics;

namespace MlNetStem.Host.Commands;

/// <summary>Fits the standard pipeline on a section and saves the model archive.</summary>
public sealed class TrainCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "train";

    /// <inheritdoc />
    public string Summary => "fit a model on a sequenced section and save it as a .zip archive";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("input", "training section: HER2ST folder, Space Ranger outs/, HEST-1k folder or .h5ad", "DIR"),
        new("model", "where to write the model archive", "FILE", "model.zip"),
        new("mpp", "microns per pixel of the image (default: estimated from the spot grid)", "UM"),
        new("seed", "random seed", "N", "1"),
        .. PipelineSettings.CommandOptions,
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string input = args.Require("input");
        string modelPath = args.Get("model", "model.zip")!;
        var settings = PipelineSettings.From(args);
        if (settings.Trainer.Contains(',')) throw new UsageException($"train fits one trainer at a time (--trainer {string.Join(" | ", PipelineSettings.Trainers)})");
        var ctx = Contexts.Create(args.GetInt("seed", 1), new ConsoleProgressReporter());
        var data = SectionReader.Load(input, requireCounts: true, args.GetDouble("mpp"), Console.Error);
        var clock = Stopwatch.StartNew();
        var model = StandardPipeline.Build(ctx, settings).Fit(data);
        ctx.SpatialExpression().SaveModel(model, data.Schema, modelPath);
        Console.WriteLine($"trained in {clock.Elapsed.TotalSeconds:0.0} s ({StandardPipeline.Describe(model.LastTransformer)}); wrote {modelPath}");
        return 0;
    }
}
