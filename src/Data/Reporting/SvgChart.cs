using System.Globalization;
using System.Net;
using System.Text;

namespace MlNetStem.Data.Reporting;

/// <summary>
/// Small static charts as inline SVG (no script, no external file): a report stays one self-contained HTML file and
/// its charts are drawn without a browser.
/// </summary>
public static class SvgChart
{
    /// <summary>Series colours (Okabe–Ito, readable by colour-blind readers).</summary>
    public static IReadOnlyList<string> Palette { get; } = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];

    private const int Width = 560, Height = 300, Left = 56, Right = 16, Top = 28, Bottom = 44;

    /// <summary>Overlaid histograms (outlines) of several series over [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static string Histogram(string title, string xLabel, IReadOnlyList<(string Name, double[] Values)> series, double min, double max, int bins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var counts = series.Select(s =>
        {
            var c = new int[bins];
            foreach (double v in s.Values.Where(double.IsFinite))
                c[Math.Clamp((int)((v - min) / (max - min) * bins), 0, bins - 1)]++;
            return c;
        }).ToArray();
        int top = Math.Max(1, counts.SelectMany(c => c).DefaultIfEmpty(1).Max());
        var svg = Begin(title);
        Axes(svg, xLabel, "genes", min, max, 0, top, log: false);
        for (int s = 0; s < series.Count; s++)
        {
            var path = new StringBuilder();
            for (int b = 0; b < bins; b++)
            {
                double x0 = X(min + (max - min) * b / bins, min, max), x1 = X(min + (max - min) * (b + 1) / bins, min, max);
                double y = Y(counts[s][b], 0, top, false);
                path.Append(b == 0 ? $"M{F(x0)},{F(Y(0, 0, top, false))}" : "").Append($"L{F(x0)},{F(y)}L{F(x1)},{F(y)}");
            }
            path.Append($"L{F(X(max, min, max))},{F(Y(0, 0, top, false))}");
            svg.Append($"<path d=\"{path}\" fill=\"{Palette[s % Palette.Count]}\" fill-opacity=\"0.15\" stroke=\"{Palette[s % Palette.Count]}\" stroke-width=\"1.5\"/>");
        }
        Legend(svg, series.Select(s => s.Name).ToArray());
        return End(svg);
    }

    /// <summary>Lines over a shared x index 0..n-1 (e.g. genes ranked by measured variance); a log y axis when <paramref name="logY"/>.</summary>
    public static string Lines(string title, string xLabel, string yLabel, IReadOnlyList<(string Name, double[] Y)> series, bool logY)
    {
        int n = series.Count == 0 ? 1 : series.Max(s => s.Y.Length);
        var all = series.SelectMany(s => s.Y).Where(v => double.IsFinite(v) && (!logY || v > 0)).DefaultIfEmpty(1).ToArray();
        double low = all.Min(), high = all.Max();
        if (!(high > low)) high = low + 1;
        var svg = Begin(title);
        Axes(svg, xLabel, yLabel, 0, Math.Max(1, n - 1), low, high, logY);
        for (int s = 0; s < series.Count; s++)
        {
            var points = series[s].Y.Select((v, i) => (v, i)).Where(p => double.IsFinite(p.v) && (!logY || p.v > 0))
                .Select(p => $"{F(X(p.i, 0, Math.Max(1, n - 1)))},{F(Y(p.v, low, high, logY))}");
            svg.Append($"<polyline points=\"{string.Join(' ', points)}\" fill=\"none\" stroke=\"{Palette[s % Palette.Count]}\" stroke-width=\"1.5\"/>");
        }
        Legend(svg, series.Select(s => s.Name).ToArray());
        return End(svg);
    }

    /// <summary>Grouped bars in [0, 1] (one group per category, one bar per series) with dashed reference levels.</summary>
    public static string Bars(string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<(string Name, double[] Values)> series,
        IReadOnlyList<double> references)
    {
        var svg = Begin(title);
        Axes(svg, "", yLabel, 0, 1, 0, 1, log: false, xTicks: false);
        int groups = Math.Max(1, categories.Count), perGroup = Math.Max(1, series.Count);
        double groupWidth = (Width - Left - Right) / (double)groups;
        for (int g = 0; g < categories.Count; g++)
        {
            double gx = Left + g * groupWidth;
            svg.Append($"<text x=\"{F(gx + groupWidth / 2)}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{Esc(categories[g])}</text>");
            for (int s = 0; s < series.Count; s++)
            {
                double v = series[s].Values[g];
                if (!double.IsFinite(v)) continue;
                double barWidth = groupWidth * 0.7 / perGroup, x = gx + groupWidth * 0.15 + s * barWidth, y = Y(v, 0, 1, false);
                svg.Append($"<rect x=\"{F(x)}\" y=\"{F(y)}\" width=\"{F(barWidth - 2)}\" height=\"{F(Y(0, 0, 1, false) - y)}\" fill=\"{Palette[s % Palette.Count]}\"/>");
                svg.Append($"<text x=\"{F(x + barWidth / 2 - 1)}\" y=\"{F(y - 3)}\" text-anchor=\"middle\" font-size=\"10\">{v.ToString("0.0%", CultureInfo.InvariantCulture)}</text>");
            }
        }
        foreach (double r in references)
            svg.Append($"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(Y(r, 0, 1, false))}\" y2=\"{F(Y(r, 0, 1, false))}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>");
        Legend(svg, series.Select(s => s.Name).ToArray());
        return End(svg);
    }

    private static StringBuilder Begin(string title) => new StringBuilder()
        .Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">")
        .Append($"<title>{Esc(title)}</title><text x=\"{Width / 2}\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{Esc(title)}</text>");

    private static string End(StringBuilder svg) => svg.Append("</svg>").ToString();

    private static void Axes(StringBuilder svg, string xLabel, string yLabel, double xMin, double xMax, double yMin, double yMax, bool log, bool xTicks = true)
    {
        svg.Append($"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"#333\"/>");
        svg.Append($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" stroke=\"#333\"/>");
        for (int i = 0; i <= 4; i++)
        {
            double v = log ? Math.Pow(10, Math.Log10(yMin) + (Math.Log10(yMax) - Math.Log10(yMin)) * i / 4) : yMin + (yMax - yMin) * i / 4;
            double y = Y(v, yMin, yMax, log);
            svg.Append($"<text x=\"{Left - 4}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{Tick(v)}</text>");
            svg.Append($"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(y)}\" y2=\"{F(y)}\" stroke=\"#eee\"/>");
            if (!xTicks) continue;
            double xv = xMin + (xMax - xMin) * i / 4;
            svg.Append($"<text x=\"{F(X(xv, xMin, xMax))}\" y=\"{Height - Bottom + 14}\" text-anchor=\"middle\">{Tick(xv)}</text>");
        }
        svg.Append($"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 8}\" text-anchor=\"middle\">{Esc(xLabel)}</text>");
        svg.Append($"<text transform=\"translate(14,{(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">{Esc(yLabel)}</text>");
    }

    private static void Legend(StringBuilder svg, IReadOnlyList<string> names)
    {
        for (int s = 0; s < names.Count; s++)
        {
            int y = Top + 4 + s * 14;
            svg.Append($"<rect x=\"{Width - Right - 130}\" y=\"{y}\" width=\"10\" height=\"10\" fill=\"{Palette[s % Palette.Count]}\"/>");
            svg.Append($"<text x=\"{Width - Right - 115}\" y=\"{y + 9}\">{Esc(names[s])}</text>");
        }
    }

    private static double X(double v, double min, double max) => Left + (v - min) / (max - min) * (Width - Left - Right);

    private static double Y(double v, double min, double max, bool log) => log
        ? Height - Bottom - (Math.Log10(v) - Math.Log10(min)) / (Math.Log10(max) - Math.Log10(min)) * (Height - Top - Bottom)
        : Height - Bottom - (v - min) / (max - min) * (Height - Top - Bottom);

    private static string Tick(double v) => Math.Abs(v) >= 100 || (Math.Abs(v) < 0.01 && v != 0)
        ? v.ToString("0.##E0", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Esc(string text) => WebUtility.HtmlEncode(text);
}
