using System.Buffers;

namespace MlNetStem.Imaging;

/// <summary>
/// Hand-crafted H&amp;E descriptors of one patch, the built-in featurizer that needs no model
/// download: colour statistics, Ruifrok–Johnston colour deconvolution into haematoxylin
/// (nuclei) and eosin (stroma/cytoplasm) optical densities with their histograms, multi-scale
/// gradient and Laplacian texture, nuclei-density proxies (dark-haematoxylin fractions and
/// blob counts) and spatial heterogeneity. Deterministic; about 1–2 ms per 224 px patch.
/// </summary>
public static class MorphologyFeatures
{
    /// <summary>Names of the features, in output order.</summary>
    public static IReadOnlyList<string> Names { get; } = BuildNames();

    /// <summary>Number of features.</summary>
    public static int Count => Names.Count;

    // Ruifrok & Johnston (2001) stain vectors (rows: H, E, residual), normalized; we use the inverse.
    private static readonly float[,] Unmix = InvertStainMatrix();
    private static readonly float[] OpticalDensity = BuildOdTable();
    private const int OdBins = 4096;
    private const int HistogramBins = 8;
    private const float HistogramMax = 2f;

    /// <summary>Computes the features of a CHW RGB patch in [0, 1].</summary>
    /// <param name="chw">3 × size × size floats.</param>
    /// <param name="size">Side of the patch in pixels (at least 16).</param>
    /// <param name="features">Destination, <see cref="Count"/> floats.</param>
    /// <exception cref="ArgumentException">Wrong lengths or a too small patch.</exception>
    public static void Compute(ReadOnlySpan<float> chw, int size, Span<float> features)
    {
        if (size < 16) throw new ArgumentException($"Patches must be at least 16 px for morphology features, got {size}.");
        if (chw.Length != 3 * size * size) throw new ArgumentException($"Patch holds {chw.Length} floats, need {3 * size * size}.");
        if (features.Length != Count) throw new ArgumentException($"Feature buffer holds {features.Length} floats, need {Count}.");

        int n = size * size;
        // Pooled: at 224 px each plane is 196 KB, a large-object allocation; three per patch at
        // hundreds of patches per second made the large-object heap balloon between gen-2 GCs.
        // Rented arrays may be longer than n; every use below indexes within n.
        float[] h = ArrayPool<float>.Shared.Rent(n), e = ArrayPool<float>.Shared.Rent(n), gray = ArrayPool<float>.Shared.Rent(n);
        try
        {
            ComputeInto(chw, size, h, e, gray, features);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(h);
            ArrayPool<float>.Shared.Return(e);
            ArrayPool<float>.Shared.Return(gray);
        }
    }

    private static void ComputeInto(ReadOnlySpan<float> chw, int size, float[] h, float[] e, float[] gray, Span<float> features)
    {
        int n = size * size;
        var f = new FeatureWriter(features);

        // Colour statistics and deconvolution in one pass.
        double sr = 0, sg = 0, sb = 0, sr2 = 0, sg2 = 0, sb2 = 0;
        double sh = 0, se = 0, sx = 0, sh2 = 0, se2 = 0, sx2 = 0, she = 0;
        int tissue = 0, dark1 = 0, dark2 = 0, dark3 = 0;
        Span<int> hHist = stackalloc int[HistogramBins];
        Span<int> eHist = stackalloc int[HistogramBins];
        Span<int> hFine = stackalloc int[256];
        Span<int> eFine = stackalloc int[256];
        var plane = chw;
        for (int i = 0; i < n; i++)
        {
            float r = plane[i], g = plane[n + i], b = plane[2 * n + i];
            sr += r; sg += g; sb += b;
            sr2 += r * r; sg2 += g * g; sb2 += b * b;
            float odR = Od(r), odG = Od(g), odB = Od(b);
            float hv = MathF.Max(0, odR * Unmix[0, 0] + odG * Unmix[1, 0] + odB * Unmix[2, 0]);
            float ev = MathF.Max(0, odR * Unmix[0, 1] + odG * Unmix[1, 1] + odB * Unmix[2, 1]);
            float xv = odR * Unmix[0, 2] + odG * Unmix[1, 2] + odB * Unmix[2, 2];
            h[i] = hv;
            e[i] = ev;
            gray[i] = 0.299f * r + 0.587f * g + 0.114f * b;
            sh += hv; se += ev; sx += xv;
            sh2 += hv * hv; se2 += ev * ev; sx2 += xv * xv; she += hv * ev;
            if (odR + odG + odB > 0.3f) tissue++;
            if (hv > 0.3f) dark1++;
            if (hv > 0.6f) dark2++;
            if (hv > 1.0f) dark3++;
            hHist[Bin(hv, HistogramBins)]++;
            eHist[Bin(ev, HistogramBins)]++;
            hFine[Bin(hv, 256)]++;
            eFine[Bin(ev, 256)]++;
        }
        f.MeanStd(sr, sr2, n); f.MeanStd(sg, sg2, n); f.MeanStd(sb, sb2, n);
        f.MeanStd(sh, sh2, n); f.MeanStd(se, se2, n); f.MeanStd(sx, sx2, n);
        foreach (double q in new[] { 0.1, 0.5, 0.9 }) f.Add(Quantile(hFine, n, q));
        foreach (double q in new[] { 0.1, 0.5, 0.9 }) f.Add(Quantile(eFine, n, q));
        for (int k = 0; k < HistogramBins; k++) f.Add(hHist[k] / (float)n);
        for (int k = 0; k < HistogramBins; k++) f.Add(eHist[k] / (float)n);
        f.Add(tissue / (float)n);
        f.Add(dark1 / (float)n); f.Add(dark2 / (float)n); f.Add(dark3 / (float)n);
        double covHe = she / n - sh / n * (se / n);
        double varH = sh2 / n - sh / n * (sh / n), varE = se2 / n - se / n * (se / n);
        f.Add(varH > 1e-12 && varE > 1e-12 ? (float)(covHe / Math.Sqrt(varH * varE)) : 0f);

        // Multi-scale texture of grey and haematoxylin.
        var gScaled = gray;
        var hScaled = h;
        int s = size;
        for (int level = 0; level < 3; level++)
        {
            Texture(gScaled, s, ref f);
            if (level == 2) BlobStatistics(hScaled, s, ref f);
            if (level < 2)
            {
                gScaled = Halve(gScaled, s);
                hScaled = Halve(hScaled, s);
                s /= 2;
            }
        }
        var ht = Halve(h, size);
        Neighbourhood(ht, size / 2, ref f);

        // Heterogeneity across a 4×4 grid of cells.
        GridSpread(h, size, ref f);
        GridSpread(e, size, ref f);
        if (f.Written != Count) throw new InvalidOperationException($"Feature count mismatch ({f.Written} vs {Count}).");
    }

    private static void Texture(float[] img, int s, ref FeatureWriter f)
    {
        double gm = 0, gm2 = 0, lap = 0;
        int count = 0;
        for (int y = 1; y < s - 1; y++)
        {
            int row = y * s;
            for (int x = 1; x < s - 1; x++)
            {
                int i = row + x;
                float gx = img[i + 1] - img[i - 1];
                float gy = img[i + s] - img[i - s];
                float m = MathF.Sqrt(gx * gx + gy * gy);
                gm += m;
                gm2 += m * m;
                lap += MathF.Abs(img[i + 1] + img[i - 1] + img[i + s] + img[i - s] - 4 * img[i]);
                count++;
            }
        }
        f.MeanStd(gm, gm2, count);
        f.Add((float)(lap / count));
    }

    // Local maxima of haematoxylin at 1/4 scale approximate nuclei (a nucleus is ~6–10 µm).
    private static void BlobStatistics(float[] h, int s, ref FeatureWriter f)
    {
        int blobs = 0;
        double intensity = 0;
        for (int y = 1; y < s - 1; y++)
        for (int x = 1; x < s - 1; x++)
        {
            int i = y * s + x;
            float v = h[i];
            if (v < 0.35f) continue;
            if (v >= h[i - 1] && v > h[i + 1] && v >= h[i - s] && v > h[i + s] &&
                v >= h[i - s - 1] && v > h[i + s + 1] && v >= h[i - s + 1] && v > h[i + s - 1])
            {
                blobs++;
                intensity += v;
            }
        }
        f.Add(blobs / (float)((s - 2) * (s - 2)) * 100f);
        f.Add(blobs == 0 ? 0f : (float)(intensity / blobs));
    }

    // Mean absolute difference between horizontal and vertical neighbours (co-occurrence contrast).
    private static void Neighbourhood(float[] h, int s, ref FeatureWriter f)
    {
        double dxSum = 0, dySum = 0;
        for (int y = 0; y < s - 1; y++)
        for (int x = 0; x < s - 1; x++)
        {
            int i = y * s + x;
            dxSum += MathF.Abs(h[i + 1] - h[i]);
            dySum += MathF.Abs(h[i + s] - h[i]);
        }
        int count = (s - 1) * (s - 1);
        f.Add((float)(dxSum / count));
        f.Add((float)(dySum / count));
    }

    private static void GridSpread(float[] v, int s, ref FeatureWriter f)
    {
        const int cells = 4;
        int cell = s / cells;
        Span<double> means = stackalloc double[cells * cells];
        for (int cy = 0; cy < cells; cy++)
        for (int cx = 0; cx < cells; cx++)
        {
            double sum = 0;
            for (int y = cy * cell; y < (cy + 1) * cell; y++)
            for (int x = cx * cell; x < (cx + 1) * cell; x++)
                sum += v[y * s + x];
            means[cy * cells + cx] = sum / (cell * cell);
        }
        double m = 0, m2 = 0;
        foreach (double x in means) { m += x; m2 += x * x; }
        f.MeanStd(m, m2, means.Length, meanToo: false);
    }

    private static float[] Halve(float[] img, int s)
    {
        int h = s / 2;
        var result = new float[h * h];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < h; x++)
        {
            int i = 2 * y * s + 2 * x;
            result[y * h + x] = 0.25f * (img[i] + img[i + 1] + img[i + s] + img[i + s + 1]);
        }
        return result;
    }

    private static float Od(float intensity)
    {
        int index = (int)(intensity * (OdBins - 1) + 0.5f);
        return OpticalDensity[Math.Clamp(index, 0, OdBins - 1)];
    }

    private static int Bin(float value, int bins) => Math.Clamp((int)(value / HistogramMax * bins), 0, bins - 1);

    private static float Quantile(ReadOnlySpan<int> histogram, int total, double q)
    {
        long target = (long)Math.Ceiling(q * total);
        long cumulative = 0;
        for (int k = 0; k < histogram.Length; k++)
        {
            cumulative += histogram[k];
            if (cumulative >= target) return (k + 0.5f) / histogram.Length * HistogramMax;
        }
        return HistogramMax;
    }

    private static float[] BuildOdTable()
    {
        var table = new float[OdBins];
        for (int i = 0; i < OdBins; i++)
        {
            double intensity = Math.Max(i / (double)(OdBins - 1), 1.0 / 255);
            table[i] = (float)-Math.Log10(intensity);
        }
        return table;
    }

    private static float[,] InvertStainMatrix()
    {
        double[][] stains =
        [
            [0.650, 0.704, 0.286],   // haematoxylin
            [0.072, 0.990, 0.105],   // eosin
            [0.268, 0.570, 0.776],   // residual (DAB slot in the original)
        ];
        var m = new double[3, 3];
        for (int r = 0; r < 3; r++)
        {
            double norm = Math.Sqrt(stains[r].Sum(v => v * v));
            for (int c = 0; c < 3; c++) m[r, c] = stains[r][c] / norm;
        }
        // od (row vector over RGB) = concentrations (row over stains) · M, so concentrations = od · M⁻¹.
        double det = m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
                   - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
                   + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]);
        var inv = new float[3, 3];
        for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
        {
            int r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
            inv[r, c] = (float)((m[r1, c1] * m[r2, c2] - m[r1, c2] * m[r2, c1]) / det);
        }
        return inv;
    }

    private static IReadOnlyList<string> BuildNames()
    {
        var names = new List<string>();
        foreach (var c in new[] { "red", "green", "blue", "haematoxylin", "eosin", "residual" })
        {
            names.Add($"{c}_mean");
            names.Add($"{c}_std");
        }
        foreach (var stain in new[] { "haematoxylin", "eosin" })
            foreach (var q in new[] { "p10", "p50", "p90" }) names.Add($"{stain}_{q}");
        foreach (var stain in new[] { "haematoxylin", "eosin" })
            for (int k = 0; k < HistogramBins; k++) names.Add($"{stain}_hist{k}");
        names.AddRange(["tissue_fraction", "nuclear_fraction_0.3", "nuclear_fraction_0.6", "nuclear_fraction_1.0", "he_correlation"]);
        for (int level = 0; level < 3; level++)
        {
            names.AddRange([$"gradient_mean_x{1 << level}", $"gradient_std_x{1 << level}", $"laplacian_x{1 << level}"]);
            if (level == 2) names.AddRange(["nuclei_per_100px", "nuclei_intensity"]);
        }
        names.AddRange(["haematoxylin_contrast_x", "haematoxylin_contrast_y", "haematoxylin_grid_std", "eosin_grid_std"]);
        return names;
    }

    private ref struct FeatureWriter(Span<float> destination)
    {
        private readonly Span<float> _destination = destination;
        public int Written { get; private set; }

        public void Add(float value) => _destination[Written++] = float.IsFinite(value) ? value : 0f;

        public void MeanStd(double sum, double sumSquares, int count, bool meanToo = true)
        {
            double mean = sum / count;
            if (meanToo) Add((float)mean);
            Add((float)Math.Sqrt(Math.Max(0, sumSquares / count - mean * mean)));
        }
    }
}
