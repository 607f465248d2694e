using MlNetStem.Data;
using MlNetStem.Evaluation;

namespace MlNetStem.Host.Commands;

/// <summary>Scores a section with one or more models and writes a self-contained HTML report with maps and metrics.</summary>
public sealed class ReportCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "report";

    /// <inheritdoc />
    public string Summary => "HTML report of one or more models on a section: metrics, maps over the H&E, per-gene PCC, variation, coverage";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("input", "section: HER2ST folder, Space Ranger outs/, HEST-1k folder or .h5ad (with counts: metrics and measured maps)", "PATH"),
        new("model", "model archive(s) from 'train'; repeat or A.zip,B.zip to compare several", "FILE"),
        new("output", "the HTML file to write", "FILE", "report.html"),
        SectionReport.MapGenesOption,
        .. SectionReader.ImageOptions,
        .. SamplingSettings.CommandOptions,
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string input = args.Require("input");
        var modelPaths = args.GetAll("model").SelectMany(m => m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
        if (modelPaths.Length == 0) throw new UsageException("option '--model' is required");
        foreach (string m in modelPaths)
            if (!File.Exists(m)) throw new UsageException($"--model: '{m}' does not exist");
        string output = args.Get("output", "report.html")!;
        if (!output.EndsWith(".html", StringComparison.OrdinalIgnoreCase)) throw new UsageException($"'--output {output}': the extension must be .html");
        OutputPaths.CheckFile("output", output);
        var sampling = SamplingSettings.From(args);
        var mapGenes = SectionReport.MapGenes(args);
        var ctx = Contexts.Create(1, new ConsoleProgressReporter());
        var section = SectionReader.Load(input, requireCounts: false, args.GetDouble("mpp"), Console.Error, args.Get("image"), args.Get("sample"));
        bool hasCounts = section.Schema.Find(SpotColumns.Counts) is not null;
        var models = new List<(string, IDataView, ExpressionMetrics?)>();
        foreach (string path in modelPaths)
        {
            ITransformer model = sampling.ApplyTo(ctx.SpatialExpression().LoadModel(path, out _));
            sampling.CheckMemory(model);
            // With counts, the spots evaluation compares (spots without panel counts left out), so maps and metrics agree;
            // without, every spot.
            var (scored, _) = SectionScorer.Score(hasCounts ? model : PredictionModels.ForEverySpot(model), section,
                ctx.SpatialExpression().Progress, Console.Error);
            ExpressionMetrics? metrics = hasCounts ? SectionScorer.Evaluate(ctx, scored, model) : null;
            models.Add((Path.GetFileNameWithoutExtension(path), scored, metrics));
        }
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(input)));
        SectionReport.Write(section, name, models, [$"models: {string.Join(", ", modelPaths.Select(Path.GetFileName))}", $"input: {Path.GetFullPath(input)}"],
            mapGenes, output, Console.Error);
        Console.WriteLine($"wrote {output} ({models.Count} model{(models.Count > 1 ? "s" : "")}, {new FileInfo(output).Length / 1024} KiB)");
        return 0;
    }
}
