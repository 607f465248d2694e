using System.Diagnostics;
using MlNetStem.Data;
using MlNetStem.Evaluation;

namespace MlNetStem.Host.Commands;

/// <summary>Trains on one bundled section, predicts the other, prints and writes the results.</summary>
public sealed class DemoCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "demo";

    /// <inheritdoc />
    public string Summary => "train on one bundled HER2ST section, predict the other, print metrics";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("train", "training section(s); several comma-separated or repeated are trained on together", "DIR", "data/her2st/C2"),
        new("test", "held-out section(s); several comma-separated or repeated are each scored", "DIR", "data/her2st/C3"),
        new("output", "output folder (predictions.csv, metrics.json, model.zip)", "DIR", "out/demo"),
        new("seed", "random seed", "N", "1"),
        new("report", "also write report.html to the output folder: metrics, maps over the H&E, per-gene PCC, variation, coverage " +
            "(the first held-out section)", null),
        SectionReport.MapGenesOption,
        .. PipelineSettings.CommandOptions,
        PointEstimates.CommandOption,
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        var log = Console.Error;
        string root = RepositoryRoot();
        var train = args.Get("train") is null ? [SectionEntry.FromPath(Path.Combine(root, "data/her2st/C2"))] : SectionInputs.Parse(args, "train");
        var test = args.Get("test") is null ? [SectionEntry.FromPath(Path.Combine(root, "data/her2st/C3"))] : SectionInputs.Parse(args, "test");
        if (train.Select(t => t.Name).Intersect(test.Select(t => t.Name)).FirstOrDefault() is { } both)
            throw new UsageException($"section {both} is given both to --train and --test: a held-out section must not be trained on");
        string trainNames = string.Join(" + ", train.Select(t => t.Name));
        string output = args.Get("output", "out/demo")!;
        var settings = PipelineSettings.From(args);
        var pointEstimate = PointEstimates.From(args);
        if (pointEstimate == PointEstimate.PreserveVariance && !settings.Trainer.Split(',').Any(PipelineSettings.IsDiffusionTrainer))
            throw new UsageException($"--point-estimate {PointEstimates.PreserveVarianceName} needs a diffusion (stem) trainer");
        // Where results go is checked before any data is read or any model trained.
        OutputPaths.CheckFolder("output", output);
        var ctx = Contexts.Create(args.GetInt("seed", 1), new ConsoleProgressReporter());
        var total = Stopwatch.StartNew();

        var trainData = SectionReader.LoadCohort(train, requireCounts: true, null, log);
        var testData = test.Select(t => (t.Name, Data: SectionReader.Load(t.Path, requireCounts: true, t.MicronsPerPixel, log))).ToArray();
        Directory.CreateDirectory(output);
        var trainers = settings.Trainer.Split(',');
        var results = new List<(string Trainer, ExpressionMetrics Metrics, double Rate)>();
        var table = new List<(string Model, ExpressionMetrics Metrics)>();
        var notes = new List<string>();
        var written = new List<string>();
        bool report = args.Flag("report");
        var mapGenes = SectionReport.MapGenes(args);
        if (mapGenes is not null && !report) throw new UsageException("--map-genes chooses the genes of the report; add --report");
        var reported = new List<(string, IDataView, ExpressionMetrics?)>();
        foreach (string trainer in trainers)
        {
            // One file set per trainer when several are compared; the plain names otherwise.
            string suffix = trainers.Length > 1 ? "-" + trainer : "";
            var fitClock = Stopwatch.StartNew();
            var model = StandardPipeline.Build(ctx, settings with { Trainer = trainer }).Fit(trainData);
            log.WriteLine($"trained on {trainNames} in {fitClock.Elapsed.TotalSeconds:0.0} s " +
                $"({StandardPipeline.Describe(model.LastTransformer)}; {settings.Featurizer} features)");

            string modelPath = Path.Combine(output, $"model{suffix}.zip");
            written.Add(modelPath);
            ctx.SpatialExpression().SaveModel(model, trainData.Schema, modelPath, SectionReader.Summary(train, trainData));
            var loaded = ctx.SpatialExpression().LoadModel(modelPath, out _);
            (settings.Sampling ?? SamplingSettings.From(args)).CheckMemory(loaded);
            foreach (var (testName, testSection) in testData)
            {
                // Per held-out section when several are given.
                string label = test.Count > 1 ? $"{trainer} @ {testName}" : trainer;
                string fileSuffix = suffix + (test.Count > 1 ? "-" + testName : "");
                var (scored, rate) = SectionScorer.Score(loaded, testSection, ctx.SpatialExpression().Progress, log);
                var metrics = SectionScorer.Evaluate(ctx, scored, loaded);
                table.Add((label, metrics));
                if (pointEstimate == PointEstimate.PreserveVariance)
                {
                    if (PointEstimates.HasSpread(scored))
                    {
                        // The files hold the preserved estimate; the table shows it next to the mean of the draws.
                        scored = PointEstimates.PreserveVariance(ctx, scored);
                        metrics = SectionScorer.Evaluate(ctx, scored);
                        table.Add(($"{label} ({PointEstimates.PreserveVarianceName})", metrics));
                    }
                    else
                    {
                        notes.Add($"note: --point-estimate {PointEstimates.PreserveVarianceName} applies to diffusion (stem) trainers only; {trainer} predicts its plain score");
                    }
                }
                string predictions = Path.Combine(output, $"predictions{fileSuffix}.csv");
                string metricsPath = Path.Combine(output, $"metrics{fileSuffix}.json");
                PredictionCsvWriter.Write(scored, "Score", [SpotColumns.Barcode, SpotColumns.PixelX, SpotColumns.PixelY], predictions);
                AtomicFile.WriteAllText(metricsPath, metrics.ToJson());
                written.AddRange([predictions, metricsPath]);
                if (report && testName == testData[0].Name) reported.Add((trainer, scored, metrics));
                results.Add((label, metrics, rate));
            }
        }

        if (report)
        {
            string reportPath = Path.Combine(output, "report.html");
            SectionReport.Write(testData[0].Data, testData[0].Name, reported,
                [$"trained on {trainNames}; panel: top {settings.Genes} genes ({settings.Ranking}) of the training data, log2(x+1)",
                 $"features: {FeatureDescription(settings)} on {settings.PatchMicrons:0} µm patches"], mapGenes, reportPath, log);
            written.Add(reportPath);
        }

        Console.WriteLine();
        Console.WriteLine($"Held-out section{(test.Count > 1 ? "s" : "")} {string.Join(", ", test.Select(t => t.Name))} (trained on {trainNames}); " +
            $"panel: top {settings.Genes} genes ({settings.Ranking}) fitted on the training section{(train.Count > 1 ? "s" : "")}, log2(x+1); " +
            $"features: {FeatureDescription(settings)} on {settings.PatchMicrons:0} µm patches");
        MetricsTable.Write(Console.Out, table);
        Console.WriteLine();
        foreach (string note in notes) Console.WriteLine(note);
        foreach (var (trainer, metrics, rate) in results)
            Console.WriteLine($"{trainer}: top genes by PCC: {string.Join(", ", TopGenes(metrics, 5))}; prediction {rate:0.0} spots/s (patches + features + model)");
        Console.WriteLine($"wrote {string.Join(", ", written)}");
        Console.WriteLine($"demo finished in {total.Elapsed.TotalSeconds:0.0} s");
        return 0;
    }

    private static string FeatureDescription(PipelineSettings settings) =>
        settings.ResNet18 ? "ResNet18 (ML.NET's ImageNet model, global average pool, 512 features)"
        : settings.UsesOnnx ? $"ONNX encoder{(settings.Encoders!.Count > 1 ? "s" : "")} {string.Join(" + ", settings.Encoders.Select(Path.GetFileName))} (CLS token)"
        : "built-in morphology";

    private static IEnumerable<string> TopGenes(ExpressionMetrics metrics, int count) =>
        metrics.GeneCorrelations.Where(p => p.Value is not null).OrderByDescending(p => p.Value)
            .Take(count).Select(p => $"{p.Key} {p.Value:0.00}");

    /// <summary>The repository root (where data/ lives), found from the executable's location.</summary>
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "data", "her2st"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
