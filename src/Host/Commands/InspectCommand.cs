using System.Globalization;
using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Trainers.Diffusion;
using MlNetStem.Trainers.Mlp;
using MlNetStem.Trainers.Ridge;
using MlNetStem.Transforms.Context;
using MlNetStem.Transforms.Expression;
using MlNetStem.Transforms.Features;
using MlNetStem.Transforms.Imaging;
using MlNetStem.Transforms.Onnx;

namespace MlNetStem.Host.Commands;

/// <summary>Describes a model archive: who wrote it, its pipeline step by step, its genes, sampling defaults and training summary.</summary>
public sealed class InspectCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "inspect";

    /// <inheritdoc />
    public string Summary => "describe a model archive: pipeline, panel, featurizer, trainer, sampling defaults, training summary";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("model", "model archive from 'train' (or give it as the first argument: mlnetstem inspect model.zip)", "FILE"),
        new("genes", "list every gene of the panel, one per line (default: the first 20)", null),
    ];

    /// <inheritdoc />
    public int MaxPositional => 1;

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string path = args.Get("model") ?? args.Positional.FirstOrDefault() ?? throw new UsageException("give the model archive: mlnetstem inspect model.zip");
        var info = ModelArchive.ReadInfo(path);
        var ctx = Contexts.Create(1, SilentProgressReporter.Instance);
        var model = ctx.SpatialExpression().LoadModel(path, out var inputSchema);
        var o = Console.Out;
        o.WriteLine($"model: {Path.GetFileName(path)} ({new FileInfo(path).Length / 1024.0:0.#} KiB), archive format {info.FormatVersion}, " +
            $"written by mlnetstem {info.CreatedBy} on {info.CreatedUtc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC");
        if (info.Training is { } training)
            o.WriteLine($"trained on: {string.Join(", ", training.Sections)} ({training.Spots} spots)");
        if (inputSchema is not null)
            o.WriteLine("input: " + string.Join(", ", inputSchema.Visible().Select(c => c.SlotNames is { } g ? $"{c.Name} ({g.Count} genes)" : c.Name)));
        var steps = (model as IEnumerable<ITransformer>)?.ToArray() ?? [model];
        o.WriteLine("pipeline:");
        for (int i = 0; i < steps.Length; i++) o.WriteLine($"  {i + 1}. {Describe(steps[i])}");
        var genes = steps.OfType<SelectGenesTransformer>().FirstOrDefault()?.Genes;
        if (genes is not null)
        {
            bool all = args.Flag("genes");
            o.WriteLine($"genes ({genes.Count}):" + (all ? "" : $" {string.Join(", ", genes.Take(20))}{(genes.Count > 20 ? ", ... (--genes lists all)" : "")}"));
            if (all) foreach (var g in genes) o.WriteLine(g);
        }
        if (steps.OfType<StemDiffusionTransformer>().FirstOrDefault() is { } stem)
        {
            var s = stem.Options;
            o.WriteLine($"sampling defaults: {s.Sampler}, {s.EffectiveSteps} steps, {s.Draws} draws per spot{(s.AntitheticDraws ? " (antithetic)" : "")}, " +
                $"prediction seed {s.PredictionSeed}, intervals {string.Join(", ", (s.IntervalLevels ?? StemDiffusionOptions.DefaultIntervalLevels).Select(l => (l * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%"))}");
            var t = stem.Summary;
            o.WriteLine($"training: {t.Epochs} epochs, final loss {t.FinalLoss:G4}, seed {s.Seed}" +
                (t.ResumedFromEpoch is { } r ? $", resumed from epoch {r}" : ""));
        }
        return 0;
    }

    private static string Describe(ITransformer step) => step switch
    {
        SelectGenesTransformer g => $"SelectGenes: {g.Genes.Count}-gene panel chosen at training; genes absent from an input: {g.MissingGenes}",
        LogNormalizeTransformer l => $"LogNormalize: {(l.LogBase == LogBase.Two ? "log2" : "ln")}(x+1)" +
            (l.TargetTotal is { } total ? $" after scaling each spot to {total:G6} counts" : " of raw counts"),
        DropEmptySpotsTransformer => "DropEmptySpots: spots with no panel counts are left out",
        LoadPatchesTransformer p => $"LoadPatches: {p.Options.SizeMicrons:0.#} µm around each spot, resampled to {p.Options.SizePixels} px",
        FeaturizeMorphologyTransformer m => $"FeaturizeMorphology: built-in morphology features{(m.DihedralViews ? ", 8 dihedral views" : "")}",
        FeaturizeOnnxTransformer f => $"FeaturizeOnnx: {string.Join(" + ", f.EncoderNames)} → {f.OutputWidth} features",
        SelectViewTransformer => "SelectView: the first (unrotated) view",
        NeighbourContextTransformer c => $"NeighbourContext: {(c.Options.Pooling switch
        {
            Transforms.Context.ContextPooling.Mean => "the mean embedding",
            Transforms.Context.ContextPooling.OwnAndMean => "the spot's embedding and the mean embedding",
            _ => "the embeddings (with a mask)",
        })} of each spot's {c.Options.Neighbours} nearest spots of its section" +
            (c.TrainingPitchMicrons is { } pitch ? $"; training spots {pitch:0.#} µm apart" : ""),
        RidgeTransformer or MlpTransformer or StemDiffusionTransformer => "trainer: " + StandardPipeline.Describe(step),
        _ => step.GetType().Name,
    };
}
