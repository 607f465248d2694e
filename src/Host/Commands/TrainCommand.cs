using System.Diagnostics;
using MlNetStem.Trainers.Diffusion;

namespace MlNetStem.Host.Commands;

/// <summary>Fits the standard pipeline on a section and saves the model archive.</summary>
public sealed class TrainCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "train";

    /// <inheritdoc />
    public string Summary => "fit a model on one or more sequenced sections and save it as a .zip archive";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("input", "training section(s): HER2ST folder, Space Ranger outs/, HEST-1k folder or .h5ad; several comma-separated or repeated " +
            "(the panel is chosen on all of them)", "DIR"),
        SectionInputs.ManifestOption,
        new("model", "where to write the model archive", "FILE", "model.zip"),
        new("mpp", "microns per pixel of the images (default: a manifest's mpp, else estimated from each spot grid)", "UM"),
        new("seed", "random seed", "N", "1"),
        new("checkpoint", "stem/stem-dit: folder of resumable training checkpoints; rerunning the same command after an interruption " +
            "(even kill -9) continues from the last checkpoint and gives the same model as an uninterrupted run", "DIR"),
        new("checkpoint-every", "epochs between checkpoints (with --checkpoint)", "N", "10"),
        .. PipelineSettings.CommandOptions,
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string modelPath = args.Get("model", "model.zip")!;
        var settings = PipelineSettings.From(args);
        if (settings.Trainer.Contains(',')) throw new UsageException($"train fits one trainer at a time (--trainer {string.Join(" | ", PipelineSettings.Trainers)})");
        string? checkpoint = args.Get("checkpoint");
        if (checkpoint is not null && !PipelineSettings.IsDiffusionTrainer(settings.Trainer))
            throw new UsageException($"--checkpoint applies to diffusion (stem) trainers only, not to --trainer {settings.Trainer}");
        if (args.Get("checkpoint-every") is not null && checkpoint is null) throw new UsageException("--checkpoint-every needs --checkpoint DIR");
        int every = args.GetInt("checkpoint-every", 10);
        if (every <= 0) throw new UsageException($"'--checkpoint-every {every}': must be a positive number of epochs");
        settings = settings with { CheckpointDirectory = checkpoint is null ? null : Path.GetFullPath(checkpoint), CheckpointEvery = every };
        // Where results go is checked before any data is read or any epoch trained.
        OutputPaths.CheckFile("model", modelPath);
        if (checkpoint is not null) OutputPaths.CheckFolder("checkpoint", checkpoint);
        var sections = SectionInputs.Parse(args);
        var ctx = Contexts.Create(args.GetInt("seed", 1), new ConsoleProgressReporter());
        var data = SectionReader.LoadCohort(sections, requireCounts: true, args.GetDouble("mpp"), Console.Error);
        var clock = Stopwatch.StartNew();
        var model = StandardPipeline.Build(ctx, settings).Fit(data);
        ctx.SpatialExpression().SaveModel(model, data.Schema, modelPath, SectionReader.Summary(sections, data));
        if (model.LastTransformer is StemDiffusionTransformer { Summary.ResumedFromEpoch: { } resumed })
            Console.WriteLine($"resumed from the checkpoint of epoch {resumed} in {checkpoint}");
        Console.WriteLine($"trained in {clock.Elapsed.TotalSeconds:0.0} s ({StandardPipeline.Describe(model.LastTransformer)}); wrote {modelPath}");
        return 0;
    }
}
