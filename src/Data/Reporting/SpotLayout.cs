namespace MlNetStem.Data.Reporting;

/// <summary>
/// Where spots fall on a map canvas: positions scaled from full-resolution pixels, and a disc size taken from the
/// spot grid itself (half the median nearest-neighbour distance: ST spots are 100 µm on a 200 µm grid, Visium 55 µm on
/// 100 µm), so no platform needs to be known.
/// </summary>
public sealed class SpotLayout
{
    private SpotLayout(double[] x, double[] y, double discRadius, int width, int height, double spotDiameterFullRes, (int Left, int Top) origin,
        bool squares = false)
    {
        Squares = squares;
        Origin = origin;
        X = x;
        Y = y;
        DiscRadius = discRadius;
        CanvasWidth = width;
        CanvasHeight = height;
        SpotDiameterFullRes = spotDiameterFullRes;
    }

    /// <summary>Spot centres on the canvas.</summary>
    public double[] X { get; }

    /// <summary>Spot centres on the canvas.</summary>
    public double[] Y { get; }

    /// <summary>Number of spots.</summary>
    public int Count => X.Length;

    /// <summary>True for tiles of a dense map: each is a filled square of side 2 × <see cref="DiscRadius"/> that meets its neighbours.</summary>
    public bool Squares { get; }

    /// <summary>Disc radius (half the square's side for tiles) on the canvas, at least 1.5 px so every spot shows.</summary>
    public double DiscRadius { get; }

    /// <summary>Spot diameter in full-resolution pixels (from the grid spacing).</summary>
    public double SpotDiameterFullRes { get; }

    /// <summary>Where the canvas starts in the thumbnail: the maps show the spots' part of the image, not the empty slide around it.</summary>
    public (int Left, int Top) Origin { get; }

    /// <summary>Canvas width (the part of the thumbnail around the spots, or the spots' extent when there is no image).</summary>
    public int CanvasWidth { get; }

    /// <summary>Canvas height.</summary>
    public int CanvasHeight { get; }

    /// <summary>Lays out spots at full-resolution pixels (<paramref name="x"/>, <paramref name="y"/>) on a canvas <paramref name="scale"/> times smaller.</summary>
    /// <param name="x">Full-resolution x of each spot.</param>
    /// <param name="y">Full-resolution y of each spot.</param>
    /// <param name="scale">Canvas pixels per full-resolution pixel (a thumbnail's scale).</param>
    /// <param name="canvas">The thumbnail's size (the canvas is the part of it around the spots), or null to fit a canvas of at most
    /// <paramref name="maxSide"/> around the spots.</param>
    /// <param name="maxSide">Longer side of a canvas made without a thumbnail.</param>
    public static SpotLayout Create(double[] x, double[] y, double scale, (int Width, int Height)? canvas, int maxSide = 600)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Length != y.Length || x.Length == 0) throw new ArgumentException($"Need matching, non-empty coordinates, got {x.Length} and {y.Length}.");
        double diameter = 0.5 * MedianNearestNeighbourDistance(x, y);
        double offsetX = 0, offsetY = 0;
        (int Left, int Top) origin = (0, 0);
        if (canvas is { } image)
        {
            // The spots' bounding box plus two spot diameters, inside the thumbnail.
            double margin = 2 * diameter * scale;
            int left = Math.Clamp((int)Math.Floor(x.Min() * scale - margin), 0, image.Width - 1);
            int top = Math.Clamp((int)Math.Floor(y.Min() * scale - margin), 0, image.Height - 1);
            int right = Math.Clamp((int)Math.Ceiling(x.Max() * scale + margin), left + 1, image.Width);
            int bottom = Math.Clamp((int)Math.Ceiling(y.Max() * scale + margin), top + 1, image.Height);
            origin = (left, top);
            (offsetX, offsetY) = (left / scale, top / scale);
            canvas = (right - left, bottom - top);
        }
        else
        {
            // No image: fit the spots (plus a margin of one spot) into the canvas.
            double minX = x.Min() - diameter, maxX = x.Max() + diameter, minY = y.Min() - diameter, maxY = y.Max() + diameter;
            scale = maxSide / Math.Max(Math.Max(maxX - minX, maxY - minY), 1);
            (offsetX, offsetY) = (minX, minY);
            canvas = (Math.Max(1, (int)Math.Ceiling((maxX - minX) * scale)), Math.Max(1, (int)Math.Ceiling((maxY - minY) * scale)));
        }
        var cx = x.Select(v => (v - offsetX) * scale).ToArray();
        var cy = y.Select(v => (v - offsetY) * scale).ToArray();
        return new SpotLayout(cx, cy, Math.Max(1.5, diameter * scale / 2), canvas.Value.Width, canvas.Value.Height, diameter, origin);
    }

    /// <summary>
    /// Lays out square tiles of side <paramref name="tileSide"/> (full-resolution pixels) centred at (<paramref name="x"/>,
    /// <paramref name="y"/>) on a thumbnail of size <paramref name="canvas"/>, cropped to the tiles plus a margin.
    /// </summary>
    public static SpotLayout Tiles(double[] x, double[] y, double scale, (int Width, int Height) canvas, double tileSide)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Length != y.Length || x.Length == 0) throw new ArgumentException($"Need matching, non-empty coordinates, got {x.Length} and {y.Length}.");
        double margin = 2 * tileSide * scale;
        int left = Math.Clamp((int)Math.Floor(x.Min() * scale - margin), 0, canvas.Width - 1);
        int top = Math.Clamp((int)Math.Floor(y.Min() * scale - margin), 0, canvas.Height - 1);
        int right = Math.Clamp((int)Math.Ceiling(x.Max() * scale + margin), left + 1, canvas.Width);
        int bottom = Math.Clamp((int)Math.Ceiling(y.Max() * scale + margin), top + 1, canvas.Height);
        return new SpotLayout(x.Select(v => v * scale - left).ToArray(), y.Select(v => v * scale - top).ToArray(), Math.Max(0.5, tileSide * scale / 2),
            right - left, bottom - top, tileSide, (left, top), squares: true);
    }

    private static double MedianNearestNeighbourDistance(double[] x, double[] y)
    {
        if (x.Length < 2) return 1;
        // O(n²) is fine for a section's few thousand spots; tiles of dense maps take Tiles, not this.
        var nearest = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double best = double.PositiveInfinity;
            for (int j = 0; j < x.Length; j++)
            {
                if (i == j) continue;
                double d = (x[i] - x[j]) * (x[i] - x[j]) + (y[i] - y[j]) * (y[i] - y[j]);
                if (d > 0 && d < best) best = d;
            }
            nearest[i] = Math.Sqrt(best);
        }
        var finite = nearest.Where(double.IsFinite).Order().ToArray();
        return finite.Length == 0 ? 1 : finite[finite.Length / 2];
    }
}
