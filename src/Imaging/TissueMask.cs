namespace MlNetStem.Imaging;

/// <summary>
/// A coarse tissue/background map of a slide, computed from a low-resolution pyramid level (or
/// by averaging a finer one): a cell is tissue when the saturation of its mean colour exceeds a
/// threshold, found by Otsu's method unless given. Stained tissue is saturated pink/purple;
/// glass, white background and grey scanner borders are not. Immutable and thread-safe.
/// </summary>
public sealed class TissueMask
{
    /// <summary>Default longest side of the mask, in cells.</summary>
    public const int DefaultMaxSide = 1024;

    /// <summary>Bounds for an Otsu threshold: below, JPEG noise on glass; above, pale stroma would be lost.</summary>
    public const double MinOtsuThreshold = 0.05, MaxOtsuThreshold = 0.25;

    private const int StripPixels = 4 * 1024 * 1024;
    private readonly bool[] _tissue;

    private TissueMask(bool[] tissue, int width, int height, double cellSize, int slideWidth, int slideHeight, double threshold)
    {
        _tissue = tissue;
        Width = width;
        Height = height;
        CellSize = cellSize;
        SlideWidth = slideWidth;
        SlideHeight = slideHeight;
        Threshold = threshold;
        TissueCoverage = tissue.Length == 0 ? 0 : tissue.Count(t => t) / (double)tissue.Length;
    }

    /// <summary>Columns of cells.</summary>
    public int Width { get; }

    /// <summary>Rows of cells.</summary>
    public int Height { get; }

    /// <summary>Side of one cell in level-0 pixels.</summary>
    public double CellSize { get; }

    /// <summary>Level-0 width of the slide.</summary>
    public int SlideWidth { get; }

    /// <summary>Level-0 height of the slide.</summary>
    public int SlideHeight { get; }

    /// <summary>Saturation (0–1) above which a cell counts as tissue.</summary>
    public double Threshold { get; }

    /// <summary>Fraction of all cells that are tissue.</summary>
    public double TissueCoverage { get; }

    /// <summary>Whether cell (x, y) is tissue; cells outside the mask are background.</summary>
    public bool IsTissue(int cellX, int cellY) =>
        cellX >= 0 && cellY >= 0 && cellX < Width && cellY < Height && _tissue[cellY * Width + cellX];

    /// <summary>
    /// Fraction of the square of side <paramref name="size"/> (level-0 pixels) centred on
    /// (<paramref name="centreX"/>, <paramref name="centreY"/>) that is tissue, weighting cells by
    /// overlap; parts outside the slide count as background.
    /// </summary>
    /// <exception cref="ArgumentException">A non-finite centre or a non-positive size.</exception>
    public double TissueFraction(double centreX, double centreY, double size)
    {
        if (!double.IsFinite(centreX) || !double.IsFinite(centreY))
            throw new ArgumentException($"Patch centre ({centreX}, {centreY}) is not finite.");
        if (!(size > 0) || !double.IsFinite(size)) throw new ArgumentException($"Patch size must be positive, got {size}.");
        double x0 = (centreX - size / 2) / CellSize, x1 = (centreX + size / 2) / CellSize;
        double y0 = (centreY - size / 2) / CellSize, y1 = (centreY + size / 2) / CellSize;
        double tissue = 0;
        for (int cy = Math.Max(0, (int)Math.Floor(y0)); cy < Math.Min(Height, (int)Math.Ceiling(y1)); cy++)
        {
            double h = Math.Min(y1, cy + 1) - Math.Max(y0, cy);
            for (int cx = Math.Max(0, (int)Math.Floor(x0)); cx < Math.Min(Width, (int)Math.Ceiling(x1)); cx++)
                if (_tissue[cy * Width + cx]) tissue += h * (Math.Min(x1, cx + 1) - Math.Max(x0, cx));
        }
        return Math.Clamp(tissue / ((x1 - x0) * (y1 - y0)), 0, 1);
    }

    /// <summary>Computes the mask of a slide.</summary>
    /// <param name="slide">The slide; read from the coarsest level at least as fine as one cell.</param>
    /// <param name="maxSide">Longest side of the mask in cells (16–16384).</param>
    /// <param name="saturationThreshold">Fixed threshold in (0, 1); null for Otsu's, clamped to [<see cref="MinOtsuThreshold"/>, <see cref="MaxOtsuThreshold"/>].</param>
    /// <exception cref="ArgumentException">Out-of-range arguments.</exception>
    /// <exception cref="IOException">The slide could not be decoded.</exception>
    public static TissueMask Compute(ISlide slide, int maxSide = DefaultMaxSide, double? saturationThreshold = null)
    {
        ArgumentNullException.ThrowIfNull(slide);
        if (maxSide is < 16 or > 16384) throw new ArgumentException($"Mask side must be 16–16384 cells, got {maxSide}.", nameof(maxSide));
        if (saturationThreshold is { } t && !(t > 0 && t < 1))
            throw new ArgumentException($"Saturation threshold must lie in (0, 1), got {t}.", nameof(saturationThreshold));
        var full = slide.Levels[0];
        double cell = Math.Max(1, (double)Math.Max(full.Width, full.Height) / maxSide);
        int width = (int)Math.Ceiling(full.Width / cell), height = (int)Math.Ceiling(full.Height / cell);
        int level = PatchSampler.SelectLevel(slide.Levels, cell);
        var info = slide.Levels[level];
        double perCell = cell / info.Downsample;   // level pixels per cell, ≥ ~1

        var sums = new long[width * height * 3];
        var counts = new int[width * height];
        int stripRows = Math.Max(1, StripPixels / info.Width);
        var rgb = new byte[info.Width * Math.Min(stripRows, info.Height) * 3];
        var cellOfX = new int[info.Width];
        for (int x = 0; x < info.Width; x++) cellOfX[x] = Math.Min(width - 1, (int)(x / perCell));
        for (int top = 0; top < info.Height; top += stripRows)
        {
            int rows = Math.Min(stripRows, info.Height - top);
            slide.ReadRgb(level, 0, top, info.Width, rows, rgb);
            for (int y = 0; y < rows; y++)
            {
                int rowBase = Math.Min(height - 1, (int)((top + y) / perCell)) * width;
                for (int x = 0; x < info.Width; x++)
                {
                    int c = rowBase + cellOfX[x], i = (y * info.Width + x) * 3;
                    sums[c * 3] += rgb[i];
                    sums[c * 3 + 1] += rgb[i + 1];
                    sums[c * 3 + 2] += rgb[i + 2];
                    counts[c]++;
                }
            }
        }

        var saturation = new float[width * height];
        for (int c = 0; c < saturation.Length; c++)
        {
            if (counts[c] == 0) continue;
            double r = sums[c * 3], g = sums[c * 3 + 1], b = sums[c * 3 + 2];
            double max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b));
            saturation[c] = max > 0 ? (float)((max - min) / max) : 0;
        }
        double threshold = saturationThreshold ?? Math.Clamp(Otsu(saturation, counts), MinOtsuThreshold, MaxOtsuThreshold);
        var tissue = new bool[saturation.Length];
        for (int c = 0; c < tissue.Length; c++) tissue[c] = counts[c] > 0 && saturation[c] > threshold;
        return new TissueMask(tissue, width, height, cell, full.Width, full.Height, threshold);
    }

    /// <summary>Otsu's threshold over a 256-bin histogram of the cells that hold pixels.</summary>
    private static double Otsu(float[] values, int[] counts)
    {
        const int bins = 256;
        var histogram = new double[bins];
        double total = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (counts[i] == 0) continue;
            histogram[Math.Min(bins - 1, (int)(values[i] * bins))]++;
            total++;
        }
        if (total == 0) return MaxOtsuThreshold;
        double sumAll = 0;
        for (int b = 0; b < bins; b++) sumAll += b * histogram[b];
        double weightBelow = 0, sumBelow = 0, bestVariance = -1;
        int best = 0;
        for (int b = 0; b < bins; b++)
        {
            weightBelow += histogram[b];
            if (weightBelow == 0) continue;
            double weightAbove = total - weightBelow;
            if (weightAbove == 0) break;
            sumBelow += b * histogram[b];
            double meanBelow = sumBelow / weightBelow, meanAbove = (sumAll - sumBelow) / weightAbove;
            double variance = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove);
            if (variance > bestVariance) { bestVariance = variance; best = b; }
        }
        return (best + 1) / (double)bins;
    }
}
