using System.Globalization;
using System.Net;
using System.Text;
using MlNetStem.Imaging;

namespace MlNetStem.Data.Reporting;

/// <summary>
/// A one-file HTML report of predicted expression on a section: the metrics table of every model, per-gene PCC
/// histogram and ranked list, maps over the H&amp;E thumbnail (measured, predicted, uncertainty), gene-variation curves
/// and interval coverage. Images are PNGs encoded by libvips and embedded; charts are inline SVG; nothing is fetched.
/// </summary>
public sealed class ExpressionReport
{
    /// <summary>Number of genes mapped when none are named: the best predicted by the first model with metrics.</summary>
    public const int DefaultMapGenes = 3;

    /// <summary>Report title.</summary>
    public required string Title { get; init; }

    /// <summary>The section's name.</summary>
    public required string SectionName { get; init; }

    /// <summary>The models compared (all over the same section and gene panel).</summary>
    public required IReadOnlyList<ReportEntry> Models { get; init; }

    /// <summary>Lines describing how the predictions were made (panel, features, normalization, training data).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The H&amp;E thumbnail the maps are drawn over, or null (white canvas).</summary>
    public RgbImage? Thumbnail { get; init; }

    /// <summary>Thumbnail pixels per full-resolution pixel.</summary>
    public double ThumbnailScale { get; init; } = 1;

    /// <summary>Genes to map; null chooses <see cref="DefaultMapGenes"/> of the best predicted.</summary>
    public IReadOnlyList<string>? MapGenes { get; init; }

    /// <summary>The genes the maps show, checked against the panel.</summary>
    /// <exception cref="ArgumentException">A named gene is not in the panel.</exception>
    public IReadOnlyList<string> ChosenMapGenes()
    {
        var panel = Models[0].Spots.Genes;
        if (MapGenes is { Count: > 0 } named)
        {
            var unknown = named.Where(g => !panel.Contains(g)).ToArray();
            if (unknown.Length > 0)
                throw new ArgumentException($"map gene(s) {string.Join(", ", unknown)} not in the model's {panel.Count}-gene panel (first genes: {string.Join(", ", panel.Take(8))})");
            return named;
        }
        var scored = Models.FirstOrDefault(m => m.Metrics is not null)?.Metrics;
        return scored is null
            ? panel.Take(DefaultMapGenes).ToArray()
            : scored.GeneCorrelations.Where(p => p.Value is not null).OrderByDescending(p => p.Value).Take(DefaultMapGenes).Select(p => p.Key).ToArray();
    }

    /// <summary>Builds the HTML.</summary>
    /// <exception cref="ArgumentException">No model, models over different gene panels or spot counts, or an unknown map gene.</exception>
    public string ToHtml()
    {
        if (Models.Count == 0) throw new ArgumentException("A report needs at least one model.");
        var first = Models[0].Spots;
        foreach (var m in Models.Skip(1))
            if (!m.Spots.Genes.SequenceEqual(first.Genes, StringComparer.Ordinal) || m.Spots.Rows != first.Rows)
                throw new ArgumentException($"'{m.Name}' predicts {m.Spots.Rows} spots × {m.Spots.Genes.Count} genes, '{Models[0].Name}' " +
                    $"{first.Rows} × {first.Genes.Count}: a report compares models over the same section and panel.");
        var statistics = Models.Select(m => GeneStatistics.Of(m.Spots)).ToArray();
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Esc(Title)).Append("</title><style>")
            .Append("body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}table{border-collapse:collapse;margin:8px 0}")
            .Append("th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}")
            .Append(".maps{display:flex;flex-wrap:wrap;gap:12px}.map{text-align:center;font-size:12px}.map img{display:block;width:300px;border:1px solid #ddd}")
            .Append(".bar{height:10px;width:200px;margin:2px auto}h3{margin:14px 0 4px}.charts{display:flex;flex-wrap:wrap;gap:16px}.ranked{max-height:420px;overflow-y:auto;display:inline-block}")
            .Append("</style></head><body>");
        html.Append("<h1>").Append(Esc(Title)).Append("</h1><p>Section <b>").Append(Esc(SectionName)).Append("</b>: ")
            .Append(first.Rows).Append(" spots, ").Append(first.Genes.Count).Append(" genes. ").Append("</p><ul>");
        foreach (string note in Notes) html.Append("<li>").Append(Esc(note)).Append("</li>");
        html.Append("</ul>");

        bool measured = first.Observed is not null;
        AppendMetrics(html);
        AppendMaps(html, ChosenMapGenes(), measured);
        if (measured)
        {
            html.Append("<h2>Genes</h2><div class=\"charts\">");
            html.Append(SvgChart.Histogram("Per-gene PCC (predicted vs measured, across spots)", "Pearson correlation",
                Models.Where(m => m.Metrics is not null).Select(m => (m.Name, m.Metrics!.GeneCorrelations.Values.Select(v => v ?? double.NaN).ToArray())).ToArray(),
                -1, 1, 40));
            html.Append(VariationCurves(statistics));
            if (Models.Any(m => m.Metrics?.Coverage80 is not null || m.Metrics?.Coverage90 is not null))
            {
                var withIntervals = Models.Where(m => m.Metrics?.Coverage80 is not null || m.Metrics?.Coverage90 is not null).ToArray();
                html.Append(SvgChart.Bars("Interval coverage (share of spot × gene values inside)", "coverage", ["80% interval", "90% interval"],
                    withIntervals.Select(m => (m.Name, new[] { m.Metrics!.Coverage80 ?? double.NaN, m.Metrics.Coverage90 ?? double.NaN })).ToArray(), [0.8, 0.9]));
            }
            html.Append("</div>");
            AppendRankedGenes(html, statistics);
        }
        else
        {
            html.Append("<p>The section has no measured counts: no metrics, PCC or coverage, only predictions.</p>");
        }
        html.Append("<p style=\"color:#777;font-size:11px\">MlNetStem ").Append(Esc(PredictionProvenance.CurrentVersion)).Append(", ")
            .Append(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)).Append(". Expression is log2(x+1) of raw counts.</p>");
        // Marks the page rendered once every image decoded: the headless-browser test reads this attribute.
        html.Append("<script>window.addEventListener('load',function(){var bad=0;document.querySelectorAll('img').forEach(function(i){")
            .Append("if(!i.complete||i.naturalWidth===0)bad++;});document.body.setAttribute('data-rendered',bad===0?'ok':'broken-images:'+bad);});</script>");
        html.Append("</body></html>");
        return html.ToString();
    }

    /// <summary>Writes the HTML to <paramref name="path"/> atomically.</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, ToHtml());

    private void AppendMetrics(StringBuilder html)
    {
        if (Models.All(m => m.Metrics is null)) return;
        html.Append("<h2>Metrics</h2><table><tr><th>model</th><th>spots</th><th>genes</th><th>mean PCC</th><th>PCC-10</th><th>PCC-50</th>")
            .Append("<th>MSE</th><th>MAE</th><th>RVD</th><th>80% coverage</th><th>90% coverage</th></tr>");
        foreach (var m in Models.Where(m => m.Metrics is not null))
        {
            var x = m.Metrics!;
            html.Append("<tr><td>").Append(Esc(m.Name)).Append("</td><td>").Append(x.SpotCount).Append("</td><td>").Append(x.GeneCount)
                .Append("</td><td>").Append(N(x.MeanPcc)).Append("</td><td>").Append(N(x.Pcc10)).Append("</td><td>").Append(N(x.Pcc50))
                .Append("</td><td>").Append(N(x.Mse)).Append("</td><td>").Append(N(x.Mae)).Append("</td><td>").Append(N(x.Rvd))
                .Append("</td><td>").Append(P(x.Coverage80)).Append("</td><td>").Append(P(x.Coverage90)).Append("</td></tr>");
        }
        html.Append("</table><p style=\"font-size:12px\">PCC: Pearson correlation across spots per gene, averaged over genes (PCC-10: the 10 best genes). ")
            .Append("RVD: mean over genes of (var<sub>pred</sub> − var<sub>true</sub>)² / var<sub>true</sub>² (0 = the spread is kept). Coverage: share of measured values inside the model's intervals.</p>");
    }

    private void AppendMaps(StringBuilder html, IReadOnlyList<string> genes, bool measured)
    {
        var spots = Models[0].Spots;
        if (spots.X is null || spots.Y is null) return;
        var layout = SpotLayout.Create(spots.X, spots.Y, ThumbnailScale, Thumbnail is null ? null : (Thumbnail.Width, Thumbnail.Height));
        html.Append("<h2>Maps</h2><p style=\"font-size:12px\">Measured and predicted share one colour scale per gene (1st–99th percentile of the ")
            .Append(measured ? "measured" : "first model's predicted").Append(" values); uncertainty (std of the draws) has its own scale.</p>");
        foreach (string gene in genes)
        {
            int g = spots.Genes.ToList().IndexOf(gene);
            float[] Column(float[] values) => Enumerable.Range(0, spots.Rows).Select(r => values[r * spots.Genes.Count + g]).ToArray();
            var reference = Column(spots.Observed ?? spots.Predicted);
            var range = SpotMap.RobustRange(reference);
            html.Append("<h3>").Append(Esc(gene)).Append("</h3><div class=\"maps\">");
            if (spots.Observed is not null) AppendMap(html, "measured", layout, reference, range, Colormap.Viridis);
            foreach (var m in Models) AppendMap(html, $"{m.Name}: predicted", layout, Column(m.Spots.Predicted), range, Colormap.Viridis);
            foreach (var m in Models.Where(m => m.Spots.Std is not null))
            {
                var std = Column(m.Spots.Std!);
                AppendMap(html, $"{m.Name}: uncertainty (std)", layout, std, SpotMap.RobustRange(std), Colormap.Magma);
            }
            html.Append("</div>");
        }
    }

    private void AppendMap(StringBuilder html, string caption, SpotLayout layout, float[] values, (double Low, double High) range, Colormap colormap)
    {
        byte[] png = PngEncoder.Encode(SpotMap.Draw(Thumbnail, layout, values, range, colormap));
        html.Append("<div class=\"map\"><img alt=\"").Append(Esc(caption)).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png))
            .Append("\"><div>").Append(Esc(caption)).Append("</div><div class=\"bar\" style=\"background:").Append(colormap.CssGradient())
            .Append("\"></div><div>").Append(N(range.Low)).Append(" … ").Append(N(range.High)).Append("</div></div>");
    }

    private string VariationCurves(GeneStatistics[] statistics)
    {
        // Genes ranked by measured variance: a model that smooths predictions falls below the measured curve.
        var order = Enumerable.Range(0, statistics[0].MeasuredVariance!.Length).OrderByDescending(g => statistics[0].MeasuredVariance![g]).ToArray();
        var series = new List<(string, double[])> { ("measured", order.Select(g => statistics[0].MeasuredVariance![g]).ToArray()) };
        series.AddRange(Models.Select((m, i) => (m.Name, order.Select(g => statistics[i].PredictedVariance[g]).ToArray())));
        return SvgChart.Lines("Gene variation: variance across spots", "genes ranked by measured variance", "variance (log scale)", series, logY: true);
    }

    private void AppendRankedGenes(StringBuilder html, GeneStatistics[] statistics)
    {
        var lead = Models.Select((m, i) => (m, i)).FirstOrDefault(p => p.m.Metrics is not null);
        if (lead.m is null) return;
        var genes = Models[0].Spots.Genes;
        var order = Enumerable.Range(0, genes.Count).OrderByDescending(g => lead.m.Metrics!.GeneCorrelations.GetValueOrDefault(genes[g]) ?? double.NegativeInfinity).ToArray();
        html.Append("<h2>Genes ranked by PCC (").Append(Esc(lead.m.Name)).Append(")</h2><div class=\"ranked\"><table><tr><th>#</th><th>gene</th>");
        foreach (var m in Models) html.Append("<th>PCC ").Append(Esc(m.Name)).Append("</th>");
        foreach (var m in Models) html.Append("<th>RVD ").Append(Esc(m.Name)).Append("</th>");
        html.Append("</tr>");
        for (int k = 0; k < order.Length; k++)
        {
            int g = order[k];
            html.Append("<tr><td>").Append(k + 1).Append("</td><td>").Append(Esc(genes[g])).Append("</td>");
            foreach (var m in Models) html.Append("<td>").Append(N(m.Metrics?.GeneCorrelations.GetValueOrDefault(genes[g]))).Append("</td>");
            foreach (var s in statistics) html.Append("<td>").Append(N(s.Rvd?[g])).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</table></div>");
    }

    private static string N(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("0.000", CultureInfo.InvariantCulture) : "–";

    private static string P(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("0.0%", CultureInfo.InvariantCulture) : "–";

    private static string Esc(string text) => WebUtility.HtmlEncode(text);
}
