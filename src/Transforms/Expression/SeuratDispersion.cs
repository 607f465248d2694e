namespace MlNetStem.Transforms.Expression;

/// <summary>
/// Scanpy's <c>highly_variable_genes(flavor="seurat", n_top_genes=n)</c> on one batch, from per-gene means and variances
/// of normalized counts. Followed from scanpy 1.10 (src/scanpy/preprocessing/_highly_variable_genes.py); the rule for
/// bins holding one gene has been the same since 1.5. Scanpy works in the data's float32 where we work in double, which
/// can only matter for genes that sit exactly on a bin edge or tie at the cut-off.
/// </summary>
internal static class SeuratDispersion
{
    /// <summary>Scanpy's default <c>n_bins</c>.</summary>
    public const int Bins = 20;

    /// <summary>
    /// Normalized dispersion per gene: log(var / mean) standardized within 20 equal-width bins of log1p(mean); NaN where
    /// the gene has no variance (or its bin gives it no spread), so it can never be chosen.
    /// </summary>
    /// <param name="mean">Mean normalized count per gene (expm1 of the log1p data, i.e. the normalized counts).</param>
    /// <param name="variance">Variance with ddof = 1 of the same values.</param>
    public static double[] Normalized(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance)
    {
        if (mean.Length != variance.Length) throw new ArgumentException($"{mean.Length} means but {variance.Length} variances.");
        int genes = mean.Length;
        var logMean = new double[genes];
        var dispersion = new double[genes];
        for (int g = 0; g < genes; g++)
        {
            double m = mean[g] == 0 ? 1e-12 : mean[g];
            double d = variance[g] / m;
            // A gene with no variance has dispersion 0; scanpy makes it NaN before the log so it never ranks.
            dispersion[g] = d == 0 ? double.NaN : Math.Log(d);
            logMean[g] = Log1P(m);
        }
        var bin = MeanBins(logMean);
        var sum = new double[Bins];
        var count = new int[Bins];
        for (int g = 0; g < genes; g++)
            if (!double.IsNaN(dispersion[g])) { sum[bin[g]] += dispersion[g]; count[bin[g]]++; }
        var avg = new double[Bins];
        var dev = new double[Bins];
        for (int b = 0; b < Bins; b++) avg[b] = count[b] == 0 ? double.NaN : sum[b] / count[b];
        var squares = new double[Bins];
        for (int g = 0; g < genes; g++)
            if (!double.IsNaN(dispersion[g])) squares[bin[g]] += Math.Pow(dispersion[g] - avg[bin[g]], 2);
        for (int b = 0; b < Bins; b++)
        {
            if (count[b] >= 2) { dev[b] = Math.Sqrt(squares[b] / (count[b] - 1)); continue; }
            // pandas gives a lone gene std NaN; scanpy then divides it by its own dispersion (avg 0, dev = avg), so it
            // scores 1. An empty bin stays NaN.
            dev[b] = avg[b];
            avg[b] = 0;
        }
        var normalized = new double[genes];
        for (int g = 0; g < genes; g++) normalized[g] = (dispersion[g] - avg[bin[g]]) / dev[bin[g]];
        return normalized;
    }

    /// <summary>
    /// The genes scanpy marks highly variable for <c>n_top_genes = <paramref name="top"/></c>: every gene whose normalized
    /// dispersion is at least the <paramref name="top"/>-th highest (ties at the cut-off all kept; NaN never chosen; all
    /// non-NaN genes when fewer than <paramref name="top"/> have one).
    /// </summary>
    public static bool[] Top(double[] normalized, int top)
    {
        var finite = normalized.Where(v => !double.IsNaN(v)).OrderDescending().ToArray();
        var chosen = new bool[normalized.Length];
        if (finite.Length == 0 || top <= 0) return chosen;
        double cutoff = finite[Math.Min(top, finite.Length) - 1];
        for (int g = 0; g < normalized.Length; g++) chosen[g] = normalized[g] >= cutoff;
        return chosen;
    }

    /// <summary>
    /// Bin of each value as <c>pandas.cut(values, 20)</c> numbers them: 20 equal-width right-closed intervals over
    /// [min, max] built like numpy's linspace, the first edge lowered by 0.1% of the range so the minimum falls inside.
    /// </summary>
    internal static int[] MeanBins(double[] values)
    {
        var bin = new int[values.Length];
        if (values.Length == 0) return bin;
        double min = values.Min(), max = values.Max();
        // All in one place: pandas widens the range around it and every value lands in the same bin.
        if (min == max) return bin;
        double step = (max - min) / Bins;
        var edges = new double[Bins + 1];
        for (int i = 0; i < Bins; i++) edges[i] = i * step + min;
        edges[Bins] = max;
        edges[0] -= (max - min) * 0.001;
        for (int g = 0; g < values.Length; g++)
        {
            // First edge ≥ value, minus one: the interval (edges[b], edges[b + 1]] holding it.
            int b = 1;
            while (edges[b] < values[g]) b++;
            bin[g] = b - 1;
        }
        return bin;
    }

    // ln(1 + x) accurate for tiny x (genes with no counts get mean 1e-12, where Math.Log(1 + x) is 1e-4 off).
    private static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }
}
