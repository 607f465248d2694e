namespace MlNetStem.Imaging;

/// <summary>
/// The steps of nucleus detection libvips has no operation for, over plain arrays of one region: the exact Euclidean
/// distance transform of the foreground, seeds at its peaks (merged unless a neck separates them), a seeded watershed
/// that splits touching nuclei, and per-nucleus sums.
/// </summary>
internal static class NucleusSegmentation
{
    /// <summary>Sums over one segmented object, in the region's pixels.</summary>
    public readonly record struct Blob(double CentroidX, double CentroidY, int Area, double MeanValue);

    /// <summary>
    /// Euclidean distance (pixels) from each foreground pixel (<c>mask ≠ 0</c>) to the nearest background pixel, outside
    /// the region counting as background; 0 on the background. Felzenszwalb–Huttenlocher's two separable passes.
    /// </summary>
    public static float[] DistanceTransform(ReadOnlySpan<byte> mask, int width, int height)
    {
        int pw = width + 2, ph = height + 2;   // one pixel of background around the region
        // Beyond any real squared distance, yet small enough that differences of it stay exact in doubles.
        double far = (double)(pw + ph) * (pw + ph);
        var squared = new double[pw * ph];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            squared[(y + 1) * pw + x + 1] = mask[y * width + x] != 0 ? far : 0;
        int longest = Math.Max(pw, ph);
        var f = new double[longest];
        var d = new double[longest];
        var v = new int[longest];
        var z = new double[longest + 1];
        for (int x = 0; x < pw; x++)
        {
            for (int y = 0; y < ph; y++) f[y] = squared[y * pw + x];
            Transform1D(f, d, v, z, ph);
            for (int y = 0; y < ph; y++) squared[y * pw + x] = d[y];
        }
        var result = new float[width * height];
        for (int y = 1; y <= height; y++)
        {
            Array.Copy(squared, y * pw, f, 0, pw);
            Transform1D(f, d, v, z, pw);
            for (int x = 1; x <= width; x++) result[(y - 1) * width + x - 1] = (float)Math.Sqrt(d[x]);
        }
        return result;
    }

    // Lower envelope of parabolas rooted at (q, f[q]): d[q] = min_p (q − p)² + f[p].
    private static void Transform1D(double[] f, double[] d, int[] v, double[] z, int n)
    {
        int k = 0;
        v[0] = 0;
        z[0] = double.NegativeInfinity;
        z[1] = double.PositiveInfinity;
        for (int q = 1; q < n; q++)
        {
            double s = Intersection(f, q, v[k]);
            // z[0] = −∞ ends the loop at k = 0.
            while (s <= z[k])
            {
                k--;
                s = Intersection(f, q, v[k]);
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = double.PositiveInfinity;
        }
        k = 0;
        for (int q = 0; q < n; q++)
        {
            while (z[k + 1] < q) k++;
            double dq = q - v[k];
            d[q] = dq * dq + f[v[k]];
        }
    }

    private static double Intersection(double[] f, int q, int p) => (f[q] + (double)q * q - (f[p] + (double)p * p)) / (2.0 * (q - p));

    /// <summary>
    /// Seeds: local maxima of <paramref name="distance"/> at least <paramref name="minRadius"/> deep, strongest first; a
    /// peak closer than <paramref name="minSeparation"/> to a kept seed is dropped, and so is one joined to a kept seed of its
    /// component (within <paramref name="reach"/>) by a straight path whose distance never falls below
    /// <paramref name="saddleRatio"/> × the lower peak (a ridge, not a neck). Every component keeps at least its deepest pixel.
    /// </summary>
    public static List<int> Seeds(float[] distance, int[] components, int width, int height, double minRadius, double minSeparation,
        double saddleRatio, double reach)
    {
        var candidates = new List<int>();
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int i = y * width + x;
            float value = distance[i];
            if (value <= 0) continue;
            bool peak = true;
            for (int dy = -1; dy <= 1 && peak; dy++)
            for (int dx = -1; dx <= 1; dx++)
            {
                int nx = x + dx, ny = y + dy;
                if ((dx | dy) == 0 || nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
                if (distance[ny * width + nx] > value) { peak = false; break; }
            }
            if (peak) candidates.Add(i);
        }
        // Deepest first; ties in raster order, so the result does not depend on anything but the pixels.
        candidates.Sort((a, b) => distance[b] != distance[a] ? distance[b].CompareTo(distance[a]) : a.CompareTo(b));

        var seeds = new List<int>();
        var byComponent = new Dictionary<int, List<int>>();
        double separation2 = minSeparation * minSeparation, reach2 = reach * reach;
        foreach (int c in candidates)
        {
            int component = components[c];
            bool first = !byComponent.TryGetValue(component, out var kept);
            if (!first && distance[c] < minRadius) continue;
            if (!first)
            {
                int cx = c % width, cy = c / width;
                bool merged = false;
                foreach (int s in kept!)
                {
                    int sx = s % width, sy = s / width;
                    double d2 = (double)(sx - cx) * (sx - cx) + (double)(sy - cy) * (sy - cy);
                    if (d2 < separation2) { merged = true; break; }
                    if (d2 > reach2) continue;
                    if (MinimumAlong(distance, width, cx, cy, sx, sy) >= saddleRatio * Math.Min(distance[c], distance[s])) { merged = true; break; }
                }
                if (merged) continue;
            }
            else
            {
                byComponent[component] = kept = [];
            }
            kept!.Add(c);
            seeds.Add(c);
        }
        return seeds;
    }

    private static float MinimumAlong(float[] distance, int width, int x0, int y0, int x1, int y1)
    {
        int steps = Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0));
        float min = float.PositiveInfinity;
        for (int k = 0; k <= steps; k++)
        {
            double t = steps == 0 ? 0 : (double)k / steps;
            int x = (int)Math.Round(x0 + t * (x1 - x0)), y = (int)Math.Round(y0 + t * (y1 - y0));
            min = Math.Min(min, distance[y * width + x]);
        }
        return min;
    }

    /// <summary>
    /// Floods the foreground from <paramref name="seeds"/> in order of decreasing distance (a watershed of the inverted
    /// distance transform): each foreground pixel gets the label (1-based seed index) of the basin that reaches it first.
    /// </summary>
    public static int[] Watershed(float[] distance, int width, int height, IReadOnlyList<int> seeds)
    {
        var labels = new int[width * height];
        // Priority: deeper first (distance quantized to 1/16 px), then first queued, so the flood is deterministic.
        var queue = new PriorityQueue<int, long>();
        long order = 0;
        for (int s = 0; s < seeds.Count; s++)
        {
            labels[seeds[s]] = s + 1;
            queue.Enqueue(seeds[s], Priority(distance[seeds[s]], order++));
        }
        Span<int> dxs = [1, -1, 0, 0], dys = [0, 0, 1, -1];
        while (queue.TryDequeue(out int p, out _))
        {
            int px = p % width, py = p / width, label = labels[p];
            for (int k = 0; k < 4; k++)
            {
                int nx = px + dxs[k], ny = py + dys[k];
                if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
                int q = ny * width + nx;
                if (labels[q] != 0 || distance[q] <= 0) continue;
                labels[q] = label;
                queue.Enqueue(q, Priority(distance[q], order++));
            }
        }
        return labels;
    }

    private static long Priority(float distance, long order) => ((long)(1_000_000 - Math.Min(distance * 16, 999_999)) << 36) | order;

    /// <summary>Area, centroid (pixel index coordinates) and mean of <paramref name="values"/> of each label 1..<paramref name="count"/>.</summary>
    public static Blob[] Measure(int[] labels, int width, ReadOnlySpan<byte> values, double valueScale, int count)
    {
        var area = new int[count + 1];
        var sumX = new double[count + 1];
        var sumY = new double[count + 1];
        var sumV = new double[count + 1];
        for (int i = 0; i < labels.Length; i++)
        {
            int l = labels[i];
            if (l == 0) continue;
            area[l]++;
            sumX[l] += i % width;
            sumY[l] += i / width;
            sumV[l] += values[i];
        }
        var blobs = new Blob[count];
        for (int l = 1; l <= count; l++)
            blobs[l - 1] = area[l] == 0 ? default : new Blob(sumX[l] / area[l], sumY[l] / area[l], area[l], sumV[l] / area[l] * valueScale);
        return blobs;
    }

    /// <summary>Otsu's threshold (the last bin of the lower class) of a histogram, over bins [<paramref name="from"/>, end); -1 when empty.</summary>
    public static int Otsu(ReadOnlySpan<uint> histogram, int from)
    {
        double total = 0, sumAll = 0;
        for (int b = from; b < histogram.Length; b++) { total += histogram[b]; sumAll += (double)b * histogram[b]; }
        if (total == 0) return -1;
        double weightBelow = 0, sumBelow = 0, best = -1;
        int threshold = -1;
        for (int b = from; b < histogram.Length; b++)
        {
            weightBelow += histogram[b];
            if (weightBelow == 0) continue;
            double weightAbove = total - weightBelow;
            if (weightAbove == 0) break;
            sumBelow += (double)b * histogram[b];
            double meanBelow = sumBelow / weightBelow, meanAbove = (sumAll - sumBelow) / weightAbove;
            double between = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove);
            if (between > best) { best = between; threshold = b; }
        }
        return threshold;
    }
}
