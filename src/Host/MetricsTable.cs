using System.Globalization;
using MlNetStem.Evaluation;

namespace MlNetStem.Host;

/// <summary>Prints metrics of one or more models side by side.</summary>
public static class MetricsTable
{
    /// <summary>Writes a fixed-width table: one row per metric, one column per model.</summary>
    public static void Write(TextWriter output, IReadOnlyList<(string Model, ExpressionMetrics Metrics)> rows)
    {
        static string F(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "n/a";
        var lines = new (string Name, Func<ExpressionMetrics, string> Value)[]
        {
            ("spots", m => m.SpotCount.ToString(CultureInfo.InvariantCulture)),
            ("genes", m => m.GeneCount.ToString(CultureInfo.InvariantCulture)),
            ("PCC-10", m => F(m.Pcc10)),
            ("PCC-50", m => F(m.Pcc50)),
            ("PCC-200", m => F(m.Pcc200)),
            ("mean PCC", m => F(m.MeanPcc)),
            ("MSE", m => F(m.Mse)),
            ("MAE", m => F(m.Mae)),
            ("RVD", m => F(m.Rvd)),
            ("genes w/o PCC", m => m.UndefinedCorrelationGenes.ToString(CultureInfo.InvariantCulture)),
            ("coverage 80%", m => F(m.Coverage80)),
            ("coverage 90%", m => F(m.Coverage90)),
        };
        // Calibrated diffusion models also show what their raw intervals covered.
        if (rows.Any(r => r.Metrics.RawCoverage80 is not null || r.Metrics.RawCoverage90 is not null))
            lines = [.. lines, ("raw coverage 80%", m => F(m.RawCoverage80)), ("raw coverage 90%", m => F(m.RawCoverage90))];
        int width = Math.Max(10, rows.Max(r => r.Model.Length) + 2);
        output.WriteLine("metric".PadRight(16) + string.Concat(rows.Select(r => r.Model.PadLeft(width))));
        output.WriteLine(new string('-', 16 + width * rows.Count));
        foreach (var (name, value) in lines)
            output.WriteLine(name.PadRight(16) + string.Concat(rows.Select(r => value(r.Metrics).PadLeft(width))));
    }
}
