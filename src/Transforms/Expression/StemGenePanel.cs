using System.Globalization;
using MlNetStem.Data;

namespace MlNetStem.Transforms.Expression;

/// <summary>
/// <see cref="GeneRanking.StemHighlyVariable"/>: Stem's released panel recipe. Per training section, scanpy's
/// normalize_total (median target) + log1p + highly_variable_genes(n_top_genes = 2000, flavor 'seurat'); the union over
/// sections without mitochondrial/ribosomal genes; then the genes among them high in both mean and standard deviation
/// of the raw counts. Two passes over the data; memory is per gene (and per section × gene), plus one total per spot.
/// </summary>
internal static class StemGenePanel
{
    /// <summary>Stem's <c>n_top_genes</c> per section.</summary>
    public const int HighlyVariablePerSection = 2000;

    /// <summary>Name prefixes of the genes Stem removes (mitochondrial, ribosomal), compared ignoring case.</summary>
    public static readonly string[] ExcludedPrefixes = ["MT-", "RPS", "RPL"];

    // Two double accumulators per section × gene; beyond this the fit would need gigabytes.
    private const long MaxSectionGeneCells = 64L << 20;

    /// <summary>The panel of at most <paramref name="top"/> genes, in decreasing mean raw count (ties by name).</summary>
    /// <exception cref="InvalidDataException">NaN or negative counts, no spots, too many sections × genes, or no gene left.</exception>
    public static string[] Select(IDataView data, string countsColumn, string sectionColumn, int top,
        int highlyVariablePerSection = HighlyVariablePerSection)
    {
        var names = data.Schema[countsColumn].SlotNames!;
        int genes = names.Count;
        var section = data.Schema.Find(sectionColumn);
        bool bySection = section is not null;
        if (section is { } s && s.Type.Kind is not (ColumnKind.Text or ColumnKind.Int32 or ColumnKind.Int64))
            throw new SchemaMismatchException(sectionColumn, "a section name (text or integer)", s.Type.ToString(), "SelectGenes");
        string[] columns = bySection ? [countsColumn, sectionColumn] : [countsColumn];

        // Pass 1: raw mean and spread over all spots, and every spot's total per section (for the median target).
        var sectionIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var totals = new List<List<double>>();
        // Sums rather than running means: genes with the same counts get bit-identical statistics, so ties fall to names.
        var rawSum = new double[genes];
        var rawSquares = new double[genes];
        long spots = 0;
        foreach (var batch in data.ReadBatches(columns))
        {
            var values = batch.GetFloats(countsColumn);
            var keys = SectionKeys(batch, sectionColumn, bySection);
            for (int r = 0; r < batch.RowCount; r++)
            {
                if (!sectionIndex.TryGetValue(keys[r], out int si))
                {
                    sectionIndex.Add(keys[r], si = sectionIndex.Count);
                    totals.Add([]);
                }
                spots++;
                double total = 0;
                var row = values.AsSpan(r * genes, genes);
                for (int g = 0; g < genes; g++)
                {
                    float v = row[g];
                    if (!(v >= 0)) throw new InvalidDataException($"SelectGenes: spot {spots - 1}, gene {names[g]} has count {v} (NaN or negative).");
                    total += v;
                    rawSum[g] += v;
                    rawSquares[g] += (double)v * v;
                }
                totals[si].Add(total);
            }
        }
        if (spots == 0) throw new InvalidDataException("SelectGenes: the training data has no spots.");
        int sections = sectionIndex.Count;
        if ((long)sections * genes > MaxSectionGeneCells)
            throw new InvalidDataException($"SelectGenes: the stem ranking needs per-section statistics of {sections} sections × {genes} genes " +
                $"({(long)sections * genes * 16 >> 20} MB, limit {MaxSectionGeneCells * 16 >> 20} MB); fit the panel on fewer sections or give the panel explicitly.");

        // scanpy's normalize_total: each spot scaled to the median total of the section's non-empty spots.
        var target = totals.Select(MedianOfPositive).ToArray();

        // Pass 2: per section, mean and variance of the normalized counts (expm1(log1p(x)) is x, so no round trip).
        var mean = new double[sections][];
        var m2 = new double[sections][];
        for (int i = 0; i < sections; i++) { mean[i] = new double[genes]; m2[i] = new double[genes]; }
        var seen = new long[sections];
        foreach (var batch in data.ReadBatches(columns))
        {
            var values = batch.GetFloats(countsColumn);
            var keys = SectionKeys(batch, sectionColumn, bySection);
            for (int r = 0; r < batch.RowCount; r++)
            {
                if (!sectionIndex.TryGetValue(keys[r], out int si))
                    throw new InvalidDataException($"SelectGenes: section '{keys[r]}' appeared on the second read of the training data only; the data must read the same twice.");
                var row = values.AsSpan(r * genes, genes);
                double total = 0;
                for (int g = 0; g < genes; g++) total += row[g];
                // An empty spot stays all zero, as in scanpy.
                double scale = total > 0 ? target[si] / total : 0, inverse = 1.0 / ++seen[si];
                // Welford's update: the variance of normalized counts without the cancellation of sums of squares.
                var mu = mean[si];
                var q = m2[si];
                for (int g = 0; g < genes; g++)
                {
                    double x = row[g] * scale, delta = x - mu[g];
                    mu[g] += delta * inverse;
                    q[g] += delta * (x - mu[g]);
                }
            }
        }
        if (seen.Sum() != spots)
            throw new InvalidDataException($"SelectGenes: the training data gave {spots} spots on the first read and {seen.Sum()} on the second; it must read the same twice.");

        var highlyVariable = new bool[genes];
        for (int i = 0; i < sections; i++)
        {
            // A section without any counts has no median target and no variable gene.
            if (double.IsNaN(target[i])) continue;
            var variance = m2[i].Select(v => v / (seen[i] - 1)).ToArray();
            var chosen = SeuratDispersion.Top(SeuratDispersion.Normalized(mean[i], variance), highlyVariablePerSection);
            for (int g = 0; g < genes; g++) highlyVariable[g] |= chosen[g];
        }
        var eligible = Enumerable.Range(0, genes)
            .Where(g => highlyVariable[g] && !ExcludedPrefixes.Any(p => names[g].StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            .ToArray();
        if (eligible.Length == 0)
            throw new InvalidDataException($"SelectGenes: no gene is highly variable in any of the {sections} training section(s) once MT-/RPS/RPL genes are removed.");
        var rawMean = rawSum.Select(v => v / spots).ToArray();
        var rawVariance = Enumerable.Range(0, genes).Select(g => rawSquares[g] / spots - rawMean[g] * rawMean[g]).ToArray();
        return MeanAndSpreadIntersection(eligible, rawMean, rawVariance, names, top);
    }

    /// <summary>
    /// Stem keeps the genes among the top k by mean and the top k by standard deviation. With k fixed that set is smaller
    /// than k, so k grows from <paramref name="top"/> until the intersection holds <paramref name="top"/> genes: a gene's
    /// step is the larger of its two ranks, and the genes with the smallest steps are kept (when two genes enter at the
    /// same step and only one fits, the one with the higher mean). Returned by decreasing mean, ties by name.
    /// </summary>
    /// <param name="eligible">Indices of the candidate genes.</param>
    /// <param name="mean">Mean raw count per gene.</param>
    /// <param name="spread">Standard deviation of the raw counts per gene, or anything increasing with it (the variance).</param>
    /// <param name="names">Gene names, for ties.</param>
    /// <param name="top">Panel size.</param>
    internal static string[] MeanAndSpreadIntersection(int[] eligible, double[] mean, double[] spread, IReadOnlyList<string> names, int top)
    {
        var byMean = eligible.OrderByDescending(g => mean[g]).ThenBy(g => names[g], StringComparer.Ordinal).ToArray();
        var bySpread = eligible.OrderByDescending(g => spread[g]).ThenBy(g => names[g], StringComparer.Ordinal).ToArray();
        var meanRank = new Dictionary<int, int>();
        var step = new Dictionary<int, int>();
        for (int i = 0; i < byMean.Length; i++) meanRank[byMean[i]] = i;
        for (int i = 0; i < bySpread.Length; i++) step[bySpread[i]] = Math.Max(i, meanRank[bySpread[i]]);
        return eligible.OrderBy(g => step[g]).ThenBy(g => meanRank[g]).Take(top)
            .OrderBy(g => meanRank[g]).Select(g => names[g]).ToArray();
    }

    private static double MedianOfPositive(List<double> totals)
    {
        var positive = totals.Where(t => t > 0).Order().ToArray();
        if (positive.Length == 0) return double.NaN;
        int middle = positive.Length / 2;
        return positive.Length % 2 == 1 ? positive[middle] : (positive[middle - 1] + positive[middle]) / 2;
    }

    private static string[] SectionKeys(DataBatch batch, string column, bool bySection)
    {
        if (!bySection)
        {
            var one = new string[batch.RowCount];
            Array.Fill(one, "");
            return one;
        }
        return batch.GetArray(column) switch
        {
            string[] text => Array.ConvertAll(text, t => t ?? ""),
            int[] ids => Array.ConvertAll(ids, i => i.ToString(CultureInfo.InvariantCulture)),
            long[] ids => Array.ConvertAll(ids, i => i.ToString(CultureInfo.InvariantCulture)),
            var other => throw new InvalidDataException($"SelectGenes: section column '{column}' holds {other.GetType().Name}, not names."),
        };
    }
}
