using System.Diagnostics;
using MlNetStem.Data;
using MlNetStem.Evaluation;
using MlNetStem.Pipeline;
using MlNetStem.Trainers.Diffusion;
using MlNetStem.Transforms.Expression;

namespace MlNetStem.Host;

/// <summary>Runs a fitted model over a section once, keeping the columns needed afterwards.</summary>
public static class SectionScorer
{
    /// <summary>Output columns kept for writing and evaluation, besides the score's companions (Std, Lower/Upper intervals).</summary>
    public static readonly string[] KeptColumns =
        [SpotColumns.Barcode, SpotColumns.ArrayX, SpotColumns.ArrayY, SpotColumns.PixelX, SpotColumns.PixelY, "Expression", "Score"];

    /// <summary>Scores <paramref name="data"/>; returns the kept columns in memory and the throughput.</summary>
    /// <param name="model">Fitted pipeline.</param>
    /// <param name="data">Section to score.</param>
    /// <param name="progress">Progress of the scoring pass.</param>
    /// <param name="log">Where notes go.</param>
    /// <param name="extraColumns">Further output columns to keep (e.g. the model's input features), read in the same pass.</param>
    public static (InMemoryDataView Scored, double SpotsPerSecond) Score(ITransformer model, IDataView data, IProgressReporter progress, TextWriter log,
        IReadOnlyList<string>? extraColumns = null)
    {
        ReportMissingGenes(model, data.Schema, log);
        var output = model.Transform(data);
        // The score and what diffusion models add to it (ScoreStd, ScoreLower80, ...); the draws themselves stay out.
        var keep = KeptColumns.Where(c => output.Schema.Find(c) is not null)
            .Concat(output.Schema.Visible().Select(c => c.Name).Where(n => n.StartsWith("Score", StringComparison.Ordinal) && n != "Score" && n != "ScoreDraws"))
            .Concat(extraColumns ?? [])
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        var clock = Stopwatch.StartNew();
        InMemoryDataView scored;
        using (var scope = progress.Start("predicting spots", data.GetRowCount()))
            scored = DataViewMaterializer.Materialize(output, keep, onBatch: n => scope.Advance(n), batchSize: 32);
        if (scored.Rows == 0) throw new InvalidDataException("No spot is left to predict (all were filtered out).");
        return (scored, scored.Rows / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
    }

    /// <summary>
    /// Metrics of a scored section, with the empirical coverage of the 80% and 90% intervals
    /// when the model produced them (diffusion models).
    /// </summary>
    /// <param name="ctx">The context.</param>
    /// <param name="scored">Scored spots with "Expression".</param>
    /// <param name="model">The model that scored them: a diffusion model with calibrated intervals also gets the coverage
    /// its raw intervals had.</param>
    public static ExpressionMetrics Evaluate(MLContext ctx, IDataView scored, ITransformer? model = null)
    {
        var metrics = ctx.SpatialExpression().Evaluate(scored, "Expression", "Score");
        double? Coverage(string level, double scale = 1) => scored.Schema.Find("ScoreLower" + level) is not null && scored.Schema.Find("ScoreUpper" + level) is not null
            ? IntervalCoverage.Compute(scored, "Expression", "ScoreLower" + level, "ScoreUpper" + level, scale)
            : null;
        var diffusion = (model as IEnumerable<ITransformer>)?.OfType<StemDiffusionTransformer>().LastOrDefault() ?? model as StemDiffusionTransformer;
        double? Raw(string level, double nominal) => diffusion?.IntervalScales is not null ? Coverage(level, diffusion.IntervalScale(nominal)) : null;
        return metrics with
        {
            Coverage80 = Coverage("80"), Coverage90 = Coverage("90"), RawCoverage80 = Raw("80", 0.8), RawCoverage90 = Raw("90", 0.9),
        };
    }

    private static void ReportMissingGenes(ITransformer model, DataViewSchema schema, TextWriter log)
    {
        var panel = (model as IEnumerable<ITransformer>)?.OfType<SelectGenesTransformer>().FirstOrDefault();
        if (panel is null || schema.Find(panel.InputColumn)?.SlotNames is not { } genes) return;
        var present = genes.ToHashSet(StringComparer.Ordinal);
        var missing = panel.Genes.Where(g => !present.Contains(g)).ToArray();
        if (missing.Length > 0 && panel.MissingGenes == MissingGenePolicy.Zero)
            log.WriteLine($"note: {missing.Length} of {panel.Genes.Count} panel genes are absent from the input counts and count as zero ({string.Join(", ", missing.Take(8))}{(missing.Length > 8 ? ", ..." : "")})");
    }
}
