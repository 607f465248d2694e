using System.Diagnostics;
using MlNetStem.Data;
using MlNetStem.Transforms.Expression;

namespace MlNetStem.Host.Benchmarking;

/// <summary>
/// Runs a cohort protocol: every section is featurized once (one section's patches in memory at a time) and its features
/// reused by every fold and trainer; each fold fits the panel and the trainer on its training sections only and scores
/// each of its test sections.
/// </summary>
public static class CohortBenchmark
{
    /// <summary>Columns kept from a featurized section besides its features.</summary>
    private static readonly string[] Kept =
        [SpotColumns.Barcode, SpotColumns.ArrayX, SpotColumns.ArrayY, SpotColumns.PixelX, SpotColumns.PixelY, SpotColumns.Counts, SpotColumns.Image];

    /// <summary>Runs <paramref name="folds"/> over <paramref name="sections"/> for each trainer of <paramref name="trainers"/>.</summary>
    /// <param name="ctx">Seeded context (its progress reporter shows featurization and training).</param>
    /// <param name="sections">The cohort.</param>
    /// <param name="split">The protocol the folds come from (recorded in the result).</param>
    /// <param name="folds">Folds from <see cref="CohortSplits.Make"/>.</param>
    /// <param name="settings">Panel, patch and featurizer settings shared by all trainers.</param>
    /// <param name="trainers">Trainer names (see <see cref="PipelineSettings.Trainers"/>).</param>
    /// <param name="seed">The context's seed, recorded.</param>
    /// <param name="micronsPerPixel">Pixel size for sections whose entry gives none (null: from each layout).</param>
    /// <param name="log">Where notes and per-fold lines go.</param>
    public static BenchmarkResult Run(MLContext ctx, IReadOnlyList<SectionEntry> sections, CohortSplit split, IReadOnlyList<CohortFold> folds,
        PipelineSettings settings, IReadOnlyList<string> trainers, int seed, double? micronsPerPixel, TextWriter log)
    {
        var featurized = new Dictionary<string, InMemoryDataView>(StringComparer.Ordinal);
        foreach (var section in sections)
            featurized[section.Name] = Featurize(ctx, settings, section, micronsPerPixel, log);

        var rows = new List<BenchmarkRow>();
        var panels = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var fold in folds)
        {
            foreach (string trainer in trainers)
            {
                var clock = Stopwatch.StartNew();
                // A fresh context with the run's seed for each fit: a trainer's model does not depend on which other trainers
                // or folds ran before it, and equals what `train --seed N` fits on the same sections.
                var fitContext = Contexts.Create(seed, ctx.SpatialExpression().Progress);
                var model = FitFold(fitContext, settings with { Trainer = trainer }, featurized, fold, log);
                double seconds = clock.Elapsed.TotalSeconds;
                panels[fold.Name] = PanelOf(model);
                log.WriteLine($"fold {fold.Name}: {trainer} trained on {string.Join(" + ", fold.Train)} in {seconds:0.0} s " +
                    $"({StandardPipeline.Describe(model.LastTransformer)})");
                foreach (string test in fold.Test)
                {
                    var (scored, _) = SectionScorer.Score(model, featurized[test], ctx.SpatialExpression().Progress, log);
                    var metrics = SectionScorer.Evaluate(ctx, scored, model);
                    rows.Add(new BenchmarkRow(fold.Name, test, trainer, metrics, seconds));
                    log.WriteLine($"fold {fold.Name}: {trainer} on {test}: mean PCC {metrics.MeanPcc:0.0000}, MSE {metrics.Mse:0.0000}");
                }
            }
        }
        return new BenchmarkResult(split, sections, folds, panels, settings, trainers, seed, rows);
    }

    /// <summary>
    /// Fits the panel and <paramref name="settings"/>' trainer on the training sections of <paramref name="fold"/>: only
    /// those tables are read, so nothing about a test section (counts, genes, features) reaches the model.
    /// </summary>
    /// <param name="ctx">Seeded context.</param>
    /// <param name="settings">Settings naming one trainer.</param>
    /// <param name="featurized">Featurized sections by name (<see cref="Featurize"/>).</param>
    /// <param name="fold">The fold.</param>
    /// <param name="log">Where notes on combining sections go.</param>
    public static TransformerChain<ITransformer> FitFold(MLContext ctx, PipelineSettings settings,
        IReadOnlyDictionary<string, InMemoryDataView> featurized, CohortFold fold, TextWriter log)
    {
        var (train, notes) = SectionCombiner.Combine(fold.Train.Select(n => featurized[n]).ToArray(), fold.Train);
        foreach (var note in notes) log.WriteLine($"note: fold {fold.Name}: {note}");
        return StandardPipeline.PanelAndModel(ctx, settings).Fit(train);
    }

    /// <summary>Loads a section and computes its features once, keeping counts, positions and the feature column.</summary>
    public static InMemoryDataView Featurize(MLContext ctx, PipelineSettings settings, SectionEntry section, double? micronsPerPixel, TextWriter log)
    {
        var data = SectionReader.Load(section.Path, requireCounts: true, section.MicronsPerPixel ?? micronsPerPixel, log);
        var output = StandardPipeline.Featurization(ctx, settings).Fit(data).Transform(data);
        var keep = Kept.Where(c => output.Schema.Find(c) is not null).Append(StandardPipeline.FeatureColumn(settings)).ToArray();
        using var scope = ctx.SpatialExpression().Progress.Start($"featurizing {section.Name}", data.Rows);
        return DataViewMaterializer.Materialize(output, keep, onBatch: n => scope.Advance(n), batchSize: 32);
    }

    private static IReadOnlyList<string> PanelOf(TransformerChain<ITransformer> model) =>
        model.OfType<SelectGenesTransformer>().First().Genes.ToArray();
}
