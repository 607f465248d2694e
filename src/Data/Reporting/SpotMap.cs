namespace MlNetStem.Data.Reporting;

using MlNetStem.Imaging;

/// <summary>
/// Draws one value per spot as filled discs over an H&amp;E thumbnail (faded so the colours read), the way
/// spatial-omics viewers show a gene. Spots are given in full-resolution pixels; the thumbnail's scale maps them.
/// </summary>
public static class SpotMap
{
    /// <summary>How much of the H&amp;E shows through the white fade behind the spots (0 = white page, 1 = untouched).</summary>
    public const double BackgroundOpacity = 0.55;

    /// <summary>Renders the map.</summary>
    /// <param name="background">The H&amp;E thumbnail, or null for a white canvas.</param>
    /// <param name="layout">Spot positions and disc size.</param>
    /// <param name="values">One value per spot (NaN draws grey).</param>
    /// <param name="range">Values mapped to the two ends of the colour scale.</param>
    /// <param name="colormap">The colour scale.</param>
    public static RgbImage Draw(RgbImage? background, SpotLayout layout, ReadOnlySpan<float> values, (double Low, double High) range, Colormap colormap)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(colormap);
        if (values.Length != layout.Count) throw new ArgumentException($"{values.Length} values for {layout.Count} spots.");
        var canvas = background?.Crop(layout.Origin.Left, layout.Origin.Top, layout.CanvasWidth, layout.CanvasHeight)
            ?? RgbImage.Filled(layout.CanvasWidth, layout.CanvasHeight, 255, 255, 255);
        if (background is not null)
        {
            var p = canvas.Pixels;
            for (int i = 0; i < p.Length; i++) p[i] = (byte)(255 - (255 - p[i]) * BackgroundOpacity);
        }
        double span = range.High > range.Low ? range.High - range.Low : 1;
        double radius = layout.DiscRadius;
        for (int s = 0; s < layout.Count; s++)
        {
            var colour = colormap.At((values[s] - range.Low) / span);
            if (layout.Squares) FillSquare(canvas, layout.X[s], layout.Y[s], radius, colour);
            else FillDisc(canvas, layout.X[s], layout.Y[s], radius, colour);
        }
        return canvas;
    }

    /// <summary>The 1st and 99th percentiles of the finite values (a range outliers do not squash); (0, 1) when there are none.</summary>
    public static (double Low, double High) RobustRange(IEnumerable<float> values)
    {
        var sorted = values.Where(float.IsFinite).Order().ToArray();
        if (sorted.Length == 0) return (0, 1);
        double low = sorted[(int)(0.01 * (sorted.Length - 1))], high = sorted[(int)Math.Ceiling(0.99 * (sorted.Length - 1))];
        return high > low ? (low, high) : (low, low + 1);
    }

    private static void FillSquare(RgbImage canvas, double cx, double cy, double half, (byte R, byte G, byte B) colour)
    {
        // Pixel centres inside [c − half, c + half): neighbouring tiles meet without gaps or overlap.
        int x0 = Math.Max(0, (int)Math.Ceiling(cx - half - 0.5)), x1 = Math.Min(canvas.Width - 1, (int)Math.Ceiling(cx + half - 0.5) - 1);
        int y0 = Math.Max(0, (int)Math.Ceiling(cy - half - 0.5)), y1 = Math.Min(canvas.Height - 1, (int)Math.Ceiling(cy + half - 0.5) - 1);
        // A tile smaller than a canvas pixel still paints the pixel it falls in.
        if (x1 < x0 && x0 < canvas.Width) x1 = x0;
        if (y1 < y0 && y0 < canvas.Height) y1 = y0;
        var p = canvas.Pixels;
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
            {
                int i = (y * canvas.Width + x) * 3;
                p[i] = colour.R;
                p[i + 1] = colour.G;
                p[i + 2] = colour.B;
            }
    }

    private static void FillDisc(RgbImage canvas, double cx, double cy, double radius, (byte R, byte G, byte B) colour)
    {
        int x0 = Math.Max(0, (int)Math.Floor(cx - radius)), x1 = Math.Min(canvas.Width - 1, (int)Math.Ceiling(cx + radius));
        int y0 = Math.Max(0, (int)Math.Floor(cy - radius)), y1 = Math.Min(canvas.Height - 1, (int)Math.Ceiling(cy + radius));
        double r2 = radius * radius;
        var p = canvas.Pixels;
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
            {
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                if (dx * dx + dy * dy > r2) continue;
                int i = (y * canvas.Width + x) * 3;
                p[i] = colour.R;
                p[i + 1] = colour.G;
                p[i + 2] = colour.B;
            }
    }
}
