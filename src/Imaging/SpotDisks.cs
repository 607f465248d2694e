namespace MlNetStem.Imaging;

/// <summary>
/// The spots of a section as disks on its slide (centres in level-0 pixels, one diameter), with a grid index that finds
/// the spot holding a point: the nearest centre whose disk contains it, so a point in two overlapping disks belongs to
/// one spot only. Immutable and thread-safe.
/// </summary>
public sealed class SpotDisks
{
    private readonly double[] _x, _y;
    private readonly Dictionary<(int, int), List<int>> _cells = new();
    private readonly double _cell;

    /// <summary>Creates the disks.</summary>
    /// <param name="centres">Spot centres in level-0 pixels.</param>
    /// <param name="diameterPixels">Spot diameter in level-0 pixels.</param>
    /// <exception cref="ArgumentException">A non-finite centre or a diameter that is not a positive number.</exception>
    public SpotDisks(IReadOnlyList<(double X, double Y)> centres, double diameterPixels)
    {
        ArgumentNullException.ThrowIfNull(centres);
        if (!(diameterPixels > 0) || !double.IsFinite(diameterPixels))
            throw new ArgumentException($"Spot diameter must be a positive number of pixels, got {diameterPixels}.", nameof(diameterPixels));
        DiameterPixels = diameterPixels;
        _x = new double[centres.Count];
        _y = new double[centres.Count];
        _cell = diameterPixels;
        for (int i = 0; i < centres.Count; i++)
        {
            var (x, y) = centres[i];
            if (!double.IsFinite(x) || !double.IsFinite(y)) throw new ArgumentException($"Spot {i} has a non-finite centre ({x}, {y}).", nameof(centres));
            _x[i] = x;
            _y[i] = y;
            var key = ((int)Math.Floor(x / _cell), (int)Math.Floor(y / _cell));
            if (!_cells.TryGetValue(key, out var list)) _cells[key] = list = [];
            list.Add(i);
        }
    }

    /// <summary>Number of spots.</summary>
    public int Count => _x.Length;

    /// <summary>Spot diameter in level-0 pixels.</summary>
    public double DiameterPixels { get; }

    /// <summary>Centre of spot <paramref name="index"/> in level-0 pixels.</summary>
    public (double X, double Y) Centre(int index) => (_x[index], _y[index]);

    /// <summary>The spot whose disk holds (<paramref name="x"/>, <paramref name="y"/>), the nearest one when disks overlap; -1 for none.</summary>
    public int Find(double x, double y)
    {
        double radius2 = DiameterPixels * DiameterPixels / 4, best = double.PositiveInfinity;
        int found = -1, cx = (int)Math.Floor(x / _cell), cy = (int)Math.Floor(y / _cell);
        for (int gy = cy - 1; gy <= cy + 1; gy++)
        for (int gx = cx - 1; gx <= cx + 1; gx++)
        {
            if (!_cells.TryGetValue((gx, gy), out var list)) continue;
            foreach (int i in list)
            {
                double d2 = (_x[i] - x) * (_x[i] - x) + (_y[i] - y) * (_y[i] - y);
                if (d2 <= radius2 && (d2 < best || (d2 == best && i < found))) (best, found) = (d2, i);
            }
        }
        return found;
    }
}
