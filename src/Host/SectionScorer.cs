using System.Diagnostics;
using MlNetStem.Data;
using MlNetStem.Pipeline;
using MlNetStem.Transforms.Expression;

namespace MlNetStem.Host;

/// <summary>Runs a fitted model over a section once, keeping the columns needed afterwards.</summary>
public static class SectionScorer
{
    /// <summary>Output columns kept for writing and evaluation.</summary>
    public static readonly string[] KeptColumns = [SpotColumns.Barcode, SpotColumns.PixelX, SpotColumns.PixelY, "Expression", "Score"];

    /// <summary>Scores <paramref name="data"/>; returns the kept columns in memory and the throughput.</summary>
    public static (InMemoryDataView Scored, double SpotsPerSecond) Score(ITransformer model, IDataView data, IProgressReporter progress, TextWriter log)
    {
        ReportMissingGenes(model, data.Schema, log);
        var output = model.Transform(data);
        var keep = KeptColumns.Where(c => output.Schema.Find(c) is not null).ToArray();
        var clock = Stopwatch.StartNew();
        InMemoryDataView scored;
        using (var scope = progress.Start("predicting spots", data.RowCount))
            scored = DataViewMaterializer.Materialize(output, keep, onBatch: n => scope.Advance(n), batchSize: 32);
        if (scored.Rows == 0) throw new InvalidDataException("No spot is left to predict (all were filtered out).");
        return (scored, scored.Rows / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
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
