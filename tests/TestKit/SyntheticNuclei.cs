namespace MlNetStem.TestKit;

/// <summary>
/// An H&amp;E-like RGB raster with nuclei of known centres: dark purple ellipses (semi-axes 3–5.5 µm, any orientation,
/// shaded darker towards the middle, pixel noise) on pink eosin-stained tissue, a strip of white glass on the left, and
/// touching pairs (two ellipses overlapping by a fifth of their width, a neck between them) among lone nuclei.
/// </summary>
public static class SyntheticNuclei
{
    /// <summary>One drawn nucleus.</summary>
    /// <param name="X">Centre x (pixel index coordinates).</param>
    /// <param name="Y">Centre y.</param>
    /// <param name="Pair">Index of the touching pair it belongs to, -1 for a lone nucleus.</param>
    public readonly record struct Truth(double X, double Y, int Pair);

    /// <summary>Draws the raster: <paramref name="width"/> × <paramref name="height"/> RGB bytes at <paramref name="micronsPerPixel"/>.</summary>
    public static (byte[] Rgb, IReadOnlyList<Truth> Nuclei) Generate(int seed, int width, int height, double micronsPerPixel = 0.5, int pairEvery = 3)
    {
        var random = new Random(seed);
        var rgb = new byte[width * height * 3];
        int glass = width / 8;
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int n = random.Next(-6, 7);
            if (x < glass) Set(rgb, width, x, y, 242 + n / 2, 240 + n / 2, 244 + n / 2);
            else Set(rgb, width, x, y, 232 + n, 160 + n, 196 + n);
        }
        var truth = new List<Truth>();
        double pitch = 26 / micronsPerPixel;   // one nucleus (or pair) per 26 µm cell
        int cell = 0, pairs = 0;
        for (double cy = pitch / 2; cy + pitch / 2 <= height; cy += pitch)
        for (double cx = glass + pitch / 2; cx + pitch / 2 <= width; cx += pitch, cell++)
        {
            double a = (3.5 + 2 * random.NextDouble()) / micronsPerPixel, b = a * (0.65 + 0.3 * random.NextDouble());
            double angle = random.NextDouble() * Math.PI;
            double jx = (random.NextDouble() - 0.5) * 4 / micronsPerPixel, jy = (random.NextDouble() - 0.5) * 4 / micronsPerPixel;
            if (pairEvery > 0 && cell % pairEvery == pairEvery - 1)
            {
                // Two smaller ellipses side by side along their minor axis, overlapping by a fifth of it: a neck between.
                a = (3 + random.NextDouble()) / micronsPerPixel;
                b = a * 0.8;
                double step = b * 1.8, ux = -Math.Sin(angle), uy = Math.Cos(angle);
                for (int k = -1; k <= 1; k += 2)
                {
                    double x = cx + jx + k * ux * step / 2, y = cy + jy + k * uy * step / 2;
                    Ellipse(rgb, width, height, x, y, a, b, angle, random);
                    truth.Add(new Truth(x, y, pairs));
                }
                pairs++;
                continue;
            }
            Ellipse(rgb, width, height, cx + jx, cy + jy, a, b, angle, random);
            truth.Add(new Truth(cx + jx, cy + jy, -1));
        }
        return (rgb, truth);
    }

    /// <summary>
    /// Matches detections to the truth greedily by distance (each at most once, within <paramref name="maxDistance"/> px).
    /// </summary>
    /// <returns>Recall, precision, the largest centroid error among matches, and how many pairs had both members found.</returns>
    public static (double Recall, double Precision, double MaxError, int PairsSplit) Score(IReadOnlyList<Truth> truth,
        IReadOnlyList<(double X, double Y)> found, double maxDistance)
    {
        var candidates = new List<(double D, int T, int F)>();
        for (int t = 0; t < truth.Count; t++)
        for (int f = 0; f < found.Count; f++)
        {
            double d = Math.Sqrt((truth[t].X - found[f].X) * (truth[t].X - found[f].X) + (truth[t].Y - found[f].Y) * (truth[t].Y - found[f].Y));
            if (d <= maxDistance) candidates.Add((d, t, f));
        }
        candidates.Sort((p, q) => p.D.CompareTo(q.D));
        var usedT = new bool[truth.Count];
        var usedF = new bool[found.Count];
        int matched = 0;
        double maxError = 0;
        foreach (var (d, t, f) in candidates)
        {
            if (usedT[t] || usedF[f]) continue;
            usedT[t] = usedF[f] = true;
            matched++;
            maxError = Math.Max(maxError, d);
        }
        int pairsSplit = truth.Select((n, i) => (n, i)).Where(p => p.n.Pair >= 0).GroupBy(p => p.n.Pair).Count(g => g.All(p => usedT[p.i]));
        return (matched / (double)Math.Max(1, truth.Count), matched / (double)Math.Max(1, found.Count), maxError, pairsSplit);
    }

    private static void Ellipse(byte[] rgb, int width, int height, double cx, double cy, double a, double b, double angle, Random random)
    {
        double cos = Math.Cos(angle), sin = Math.Sin(angle);
        int r = (int)Math.Ceiling(a) + 1;
        for (int y = (int)cy - r; y <= (int)cy + r; y++)
        for (int x = (int)cx - r; x <= (int)cx + r; x++)
        {
            if (x < 0 || y < 0 || x >= width || y >= height) continue;
            double dx = x - cx, dy = y - cy;
            double u = (dx * cos + dy * sin) / a, v = (-dx * sin + dy * cos) / b;
            double q = u * u + v * v;
            if (q > 1) continue;
            // Haematoxylin purple, darkest in the middle (chromatin), with noise.
            double depth = 1 - 0.35 * q;
            int n = random.Next(-8, 9);
            Set(rgb, width, x, y, (int)(200 - 130 * depth) + n, (int)(150 - 110 * depth) + n, (int)(215 - 70 * depth) + n);
        }
    }

    private static void Set(byte[] rgb, int width, int x, int y, int r, int g, int b)
    {
        int i = (y * width + x) * 3;
        rgb[i] = (byte)Math.Clamp(r, 0, 255);
        rgb[i + 1] = (byte)Math.Clamp(g, 0, 255);
        rgb[i + 2] = (byte)Math.Clamp(b, 0, 255);
    }
}
