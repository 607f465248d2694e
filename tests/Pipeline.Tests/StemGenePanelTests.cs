using MlNetStem.Data;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using MlNetStem.Transforms.Expression;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// <see cref="GeneRanking.StemHighlyVariable"/>: Stem's panel recipe (per-section scanpy 'seurat' HVGs, union, no
/// MT-/RPS/RPL genes, top by mean ∩ top by standard deviation). Hand-built matrices whose answer follows from the
/// definitions, and random data checked against <see cref="Reference"/>, a plain second implementation in this file.
/// </summary>
public class StemGenePanelTests
{
    private static readonly MLContext Ml = SeededContext.Create(1);

    private static InMemoryDataView Counts(double[][] rows, string[] genes, string[]? sections = null)
    {
        var columns = new List<DataViewSchema.DetachedColumn> { SchemaColumns.Create("Counts", ColumnTypes.FloatTensor(genes.Length), genes) };
        var values = new Dictionary<string, Array> { ["Counts"] = rows.SelectMany(r => r.Select(v => (float)v)).ToArray() };
        if (sections is not null)
        {
            columns.Add(SchemaColumns.Create(SpotColumns.Section, ColumnTypes.Text));
            values[SpotColumns.Section] = sections;
        }
        return new InMemoryDataView(SchemaExtensions.Create([.. columns]), rows.Length, values);
    }

    private static string[] Panel(IDataView data, int top) =>
        [.. Ml.Transforms.SelectGenes("P", "Counts", top: top, ranking: GeneRanking.StemHighlyVariable).Fit(data).Genes];

    // ------------------------------------------------------------------ scanpy's seurat dispersion

    [Fact]
    public void SeuratDispersion_HandComputedBins_GiveKnownNormalizedDispersions()
    {
        double e1 = Math.E - 1, e2 = Math.Exp(2) - 1, e15 = Math.Exp(1.5) - 1;
        // Three genes share log1p(mean) = 1 with log dispersions 0, 1, 2 (bin mean 1, std 1); one gene is alone in the
        // top bin (scores 1 whatever its dispersion); one is never expressed; one has no variance.
        double[] mean = [e1, e1, e1, e2, 0, e15];
        double[] variance = [e1, e1 * Math.E, e1 * Math.Exp(2), e2 * Math.Exp(0.5), 0, 0];
        var normalized = SeuratDispersion.Normalized(mean, variance);
        Assert.Equal(-1, normalized[0], 9);
        Assert.Equal(0, normalized[1], 9);
        Assert.Equal(1, normalized[2], 9);
        Assert.Equal(1, normalized[3], 12);
        Assert.True(double.IsNaN(normalized[4]), "a gene without counts must have no normalized dispersion");
        Assert.True(double.IsNaN(normalized[5]), "a gene without variance must have no normalized dispersion");

        // n_top_genes keeps every gene at or above the n-th highest value: 1 is shared by two genes.
        Assert.Equal([false, false, true, true, false, false], SeuratDispersion.Top(normalized, 1));
        Assert.Equal([false, true, true, true, false, false], SeuratDispersion.Top(normalized, 3));
        Assert.Equal([true, true, true, true, false, false], SeuratDispersion.Top(normalized, 2000));

        // A lone gene whose dispersion is exactly 1 divides 0 by 0 in scanpy: NaN, never chosen.
        var lone = SeuratDispersion.Normalized([e1, e2], [e1 * 2, e2]);
        Assert.Equal(1, lone[0], 12);
        Assert.True(double.IsNaN(lone[1]));
    }

    [Fact]
    public void SeuratDispersion_MeanBins_AreRightClosedLikePandasCut()
    {
        // numpy's linspace(0, 1, 21) puts 0.1 exactly on an edge and 0.15 just below 3 * 0.05; pandas.cut closes
        // intervals on the right and lowers the first edge by 0.1% of the range.
        Assert.Equal([0, 0, 1, 2, 19, 9], SeuratDispersion.MeanBins([0, 0.05, 0.1, 0.15, 1.0, 0.5]));
        Assert.Equal([0, 0, 0], SeuratDispersion.MeanBins([3, 3, 3]));
    }

    [Fact]
    public void SeuratDispersion_RandomGenes_MatchAPlainImplementation()
    {
        var random = new Random(7);
        int genes = 600;
        var mean = new double[genes];
        var variance = new double[genes];
        for (int g = 0; g < genes; g++)
        {
            mean[g] = g % 50 == 0 ? 0 : Math.Exp(random.NextDouble() * 8 - 3);
            variance[g] = g % 37 == 0 ? 0 : mean[g] * Math.Exp(random.NextDouble() * 4 - 1);
        }
        // A few genes alone at the extremes of the mean range exercise the one-gene bins.
        mean[1] = 5000;
        mean[2] = 3000;
        var expected = Reference.NormalizedDispersion(mean, variance);
        var actual = SeuratDispersion.Normalized(mean, variance);
        for (int g = 0; g < genes; g++)
        {
            Assert.True(double.IsNaN(expected[g]) == double.IsNaN(actual[g]), $"gene {g}: expected {expected[g]}, got {actual[g]}");
            if (!double.IsNaN(expected[g])) Assert.Equal(expected[g], actual[g], 9);
        }
        Assert.Contains(actual, v => v == 1);
        Assert.True(actual.Count(double.IsNaN) >= genes / 50, "zero means and variances must give NaN");
    }

    // ------------------------------------------------------------------ the recipe through SelectGenes

    [Fact]
    public void StemRanking_ConstantNormalizedGene_IsNeverChosen_BurstyGeneIs()
    {
        // Spot totals differ; "Flat" is always 10% of its spot, so normalize_total makes it constant: dispersion 0 → NaN.
        string[] genes = ["Flat", "Bursty", "Steady", "Mixed", "Silent", "Filler"];
        double[][] rows =
        [
            [10, 0, 20, 5, 0, 65],
            [20, 0, 25, 30, 0, 125],
            [5, 30, 10, 1, 0, 4],
            [40, 0, 60, 50, 0, 250],
            [15, 2, 30, 10, 0, 93],
        ];
        var panel = Panel(Counts(rows, genes), top: 10);
        Assert.DoesNotContain("Flat", panel);
        Assert.DoesNotContain("Silent", panel);
        Assert.Contains("Bursty", panel);
        // Fewer genes survive than asked for: the panel is all of them, by decreasing mean raw count.
        Assert.Equal(["Filler", "Steady", "Mixed", "Bursty"], panel);
    }

    [Fact]
    public void StemRanking_MitochondrialAndRibosomalGenes_AreRemovedIgnoringCase()
    {
        string[] genes = ["MT-CO1", "mt-Nd1", "RPL13", "Rps6", "RPLP0", "MTOR", "MRPL20", "ERBB2", "KRT19"];
        var random = new Random(3);
        var rows = Enumerable.Range(0, 40).Select(_ => genes.Select((_, g) => (double)Poissonish(random, 2 + 3 * g, g % 2 == 0)).ToArray()).ToArray();
        var panel = Panel(Counts(rows, genes), top: 20);
        Assert.Equal(["ERBB2", "KRT19", "MRPL20", "MTOR"], panel.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void StemRanking_HighlyVariableGenes_AreFoundPerSection_AndUnited()
    {
        var (rows, genes, sections) = TwoSmallSections();
        var perSection = Panel(Counts(rows, genes, sections), top: 10);
        Assert.Contains("OnlyA", perSection);
        Assert.Contains("OnlyB", perSection);
        Assert.DoesNotContain("Level", perSection);
        // Pooled as one slide, "Level" varies: the section column is what keeps it out.
        Assert.Contains("Level", Panel(Counts(rows, genes), top: 10));
    }

    [Fact]
    public void StemRanking_UnionAcrossSections_KeepsEachSectionsTopGene()
    {
        // 200 Poisson genes of one level (dispersion near 1, so the central mean bins are crowded). "SpikeA" has 15 counts
        // in every third spot of section A and none in the others, "SpikeB" the same in section B: each is by far the
        // most dispersed gene of its own section only, at the usual mean (a single spot holding all counts would drag
        // its normalized mean into a bin of its own, where seurat scores every gene 1). With one HVG per section the
        // union is exactly these two; an intersection, a single section or pooling gives otherwise.
        var random = new Random(11);
        var genes = Enumerable.Range(0, 200).Select(g => g switch { 10 => "SpikeA", 20 => "SpikeB", _ => $"G{g:D3}" }).ToArray();
        var rows = Enumerable.Range(0, 60).Select(_ => genes.Select(_ => (double)Poissonish(random, 5, false)).ToArray()).ToArray();
        var sections = Enumerable.Range(0, 60).Select(i => i < 30 ? "A" : "B").ToArray();
        foreach (var (first, gene) in new[] { (0, 10), (30, 20) })
            for (int i = first; i < first + 30; i++) rows[i][gene] = i % 3 == 0 ? 15 : 0;
        Assert.Equal([10], Reference.HighlyVariable(rows[..30], 1));
        Assert.Equal([20], Reference.HighlyVariable(rows[30..], 1));
        var panel = StemGenePanel.Select(Counts(rows, genes, sections), "Counts", SpotColumns.Section, top: 50, highlyVariablePerSection: 1);
        Assert.Equal(["SpikeA", "SpikeB"], panel.Order(StringComparer.Ordinal));
        Assert.Single(StemGenePanel.Select(Counts(rows, genes), "Counts", SpotColumns.Section, top: 50, highlyVariablePerSection: 1));
    }

    [Fact]
    public void StemRanking_RandomSections_MatchAPlainImplementationOfTheRecipe()
    {
        var (rows, genes, sections) = RandomSections(seed: 5, genesCount: 300, spotsPerSection: 40);
        foreach (int top in new[] { 5, 20, 45 })
        {
            var expected = Reference.Panel(rows, genes, sections, top, highlyVariablePerSection: 40);
            var actual = StemGenePanel.Select(Counts(rows, genes, sections), "Counts", SpotColumns.Section, top, highlyVariablePerSection: 40);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void StemRanking_MeanAndSpreadIntersection_GrowsKUntilThePanelIsFull()
    {
        string[] names = ["G0", "G1", "G2", "G3", "G4", "G5"];
        double[] mean = [10, 9, 8, 7, 6, 5];
        double[] spread = [1, 9, 8, 0.5, 7, 6];
        int[] all = [0, 1, 2, 3, 4, 5];
        // k = 2 gives {G1} only; k = 3 gives {G1, G2}.
        Assert.Equal(["G1", "G2"], StemGenePanel.MeanAndSpreadIntersection(all, mean, spread, names, 2));
        // k = 5 lets G0 and G4 in together (4 genes): the one with the higher mean takes the last place.
        Assert.Equal(["G0", "G1", "G2"], StemGenePanel.MeanAndSpreadIntersection(all, mean, spread, names, 3));
        Assert.Equal(names, StemGenePanel.MeanAndSpreadIntersection(all, mean, spread, names, 10));
        // Only eligible genes are ranked: without G1, G2 leads the spread and G0 is third, so k = 3 gives {G0, G2}.
        Assert.Equal(["G0", "G2"], StemGenePanel.MeanAndSpreadIntersection([0, 2, 3, 4], mean, spread, names, 2));
        // Exact ties fall to names, so the panel does not depend on the gene order.
        Assert.Equal(["A", "B"], StemGenePanel.MeanAndSpreadIntersection([0, 1, 2], [3, 3, 3], [1, 1, 1], ["C", "B", "A"], 2));
    }

    [Fact]
    public void StemRanking_IsDeterministic_AndIndependentOfRowOrder()
    {
        var (rows, genes, sections) = RandomSections(seed: 9, genesCount: 200, spotsPerSection: 25);
        var first = Panel(Counts(rows, genes, sections), top: 15);
        Assert.Equal(first, Panel(Counts(rows, genes, sections), top: 15));
        var order = Enumerable.Range(0, rows.Length).OrderBy(i => (i * 7919) % rows.Length).ToArray();
        Assert.Equal(first, Panel(Counts([.. order.Select(i => rows[i])], genes, [.. order.Select(i => sections[i])]), top: 15));
        Assert.Equal(15, first.Length);
    }

    [Fact]
    public void StemRanking_NothingVariable_OrBadSectionColumn_FailsWithAClearMessage()
    {
        var constant = Counts([[1, 2], [1, 2], [2, 4]], ["A", "B"]);
        Assert.Contains("no gene is highly variable", Assert.Throws<InvalidDataException>(() => Panel(constant, 5)).Message);
        var onlyMito = Counts([[1, 0], [5, 2], [0, 9]], ["MT-CO1", "RPS3"]);
        Assert.Contains("MT-/RPS/RPL", Assert.Throws<InvalidDataException>(() => Panel(onlyMito, 5)).Message);
        Assert.Contains("gene B", Assert.Throws<InvalidDataException>(() => Panel(Counts([[1, double.NaN]], ["A", "B"]), 5)).Message);

        var floatSections = new InMemoryDataView(SchemaExtensions.Create([
                SchemaColumns.Create("Counts", ColumnTypes.FloatTensor(2), ["A", "B"]),
                SchemaColumns.Create(SpotColumns.Section, ColumnTypes.Float32)]), 1,
            new Dictionary<string, Array> { ["Counts"] = new[] { 1f, 2f }, [SpotColumns.Section] = new[] { 0.5f } });
        var error = Assert.Throws<SchemaMismatchException>(() => Panel(floatSections, 5));
        Assert.Equal(SpotColumns.Section, error.Column);
        // The other rankings never read sections.
        Assert.Single(Ml.Transforms.SelectGenes("P", "Counts", top: 1).Fit(floatSections).Genes);
    }

    [Fact]
    public void StemRanking_IntegerSectionIds_AreSectionsToo()
    {
        var (rows, genes, _) = TwoSmallSections();
        var data = new InMemoryDataView(SchemaExtensions.Create([
                SchemaColumns.Create("Counts", ColumnTypes.FloatTensor(genes.Length), genes),
                SchemaColumns.Create(SpotColumns.Section, ColumnTypes.Int32)]), rows.Length,
            new Dictionary<string, Array> { ["Counts"] = rows.SelectMany(r => r.Select(v => (float)v)).ToArray(), [SpotColumns.Section] = new[] { 1, 1, 1, 1, 2, 2, 2, 2 } });
        Assert.DoesNotContain("Level", Panel(data, 10));
    }

    [Fact]
    public void SelectGenes_StemRanking_PassesTheWorkout()
    {
        var (rows, genes, sections) = TwoSmallSections();
        var textCounts = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Counts", ColumnTypes.Text)]), 1,
            new Dictionary<string, Array> { ["Counts"] = new[] { "1" } });
        EstimatorWorkout.Run(Ml.Transforms.SelectGenes("Expression", "Counts", top: 2, ranking: GeneRanking.StemHighlyVariable),
            Counts(rows, genes, sections), textCounts, "Counts");
    }

    // ------------------------------------------------------------------ fixtures and the plain implementation

    // Every spot of a section has the same total, so normalize_total leaves its counts exact. "Level" is constant within
    // each section (no HVG in either) but differs between them; "OnlyA"/"OnlyB" vary in one section only.
    private static (double[][] Rows, string[] Genes, string[] Sections) TwoSmallSections() =>
    (
        [
            [6, 0, 5, 1, 2, 6], [0, 0, 5, 3, 4, 8], [2, 0, 5, 2, 3, 8], [0, 0, 5, 4, 1, 10],
            [0, 0, 20, 2, 1, 17], [0, 9, 20, 1, 2, 8], [0, 0, 20, 3, 2, 15], [0, 3, 20, 2, 3, 12],
        ],
        ["OnlyA", "OnlyB", "Level", "F1", "F2", "Pad"],
        ["A", "A", "A", "A", "B", "B", "B", "B"]
    );

    // Overdispersed counts: a Poisson draw, scaled up in a few spots when bursty.
    private static int Poissonish(Random random, double mean, bool bursty)
    {
        double m = bursty && random.NextDouble() < 0.2 ? mean * 6 : mean;
        double l = Math.Exp(-m), p = 1;
        int k = 0;
        do { k++; p *= random.NextDouble(); } while (p > l);
        return k - 1;
    }

    private static (double[][] Rows, string[] Genes, string[] Sections) RandomSections(int seed, int genesCount, int spotsPerSection)
    {
        var random = new Random(seed);
        var genes = Enumerable.Range(0, genesCount).Select(g => g switch
        {
            3 => "MT-ND1", 4 => "RPL10", 5 => "rps27", _ => $"G{g:D3}",
        }).ToArray();
        var level = genes.Select(_ => Math.Exp(random.NextDouble() * 4 - 1)).ToArray();
        var burstyA = genes.Select(_ => random.NextDouble() < 0.3).ToArray();
        var burstyB = genes.Select(_ => random.NextDouble() < 0.3).ToArray();
        var rows = new List<double[]>();
        var sections = new List<string>();
        foreach (var (name, bursty) in new[] { ("A", burstyA), ("B", burstyB) })
            for (int s = 0; s < spotsPerSection; s++)
            {
                double depth = 0.5 + random.NextDouble();
                rows.Add([.. Enumerable.Range(0, genesCount).Select(g => (double)Poissonish(random, level[g] * depth, bursty[g]))]);
                sections.Add(name);
            }
        return ([.. rows], genes, [.. sections]);
    }

    /// <summary>The recipe written out directly from its description: dense arrays, no streaming, no shared code.</summary>
    private static class Reference
    {
        public static bool Excluded(string gene) =>
            gene.ToUpperInvariant() is var g && (g.StartsWith("MT-", StringComparison.Ordinal) || g.StartsWith("RPS", StringComparison.Ordinal) || g.StartsWith("RPL", StringComparison.Ordinal));

        public static string[] Panel(double[][] rows, string[] genes, string[] sections, int top, int highlyVariablePerSection)
        {
            var union = sections.Distinct()
                .SelectMany(s => HighlyVariable(rows.Where((_, i) => sections[i] == s).ToArray(), highlyVariablePerSection))
                .Distinct().Where(g => !Excluded(genes[g])).ToArray();
            double Mean(int g) => rows.Average(r => r[g]);
            double Std(int g) => Math.Sqrt(rows.Average(r => Math.Pow(r[g] - Mean(g), 2)));
            var mean = union.ToDictionary(g => g, Mean);
            var std = union.ToDictionary(g => g, Std);
            var byMean = union.OrderByDescending(g => mean[g]).ThenBy(g => genes[g], StringComparer.Ordinal).ToList();
            var byStd = union.OrderByDescending(g => std[g]).ThenBy(g => genes[g], StringComparer.Ordinal).ToList();
            for (int k = top; ; k++)
            {
                var both = byMean.Take(k).Intersect(byStd.Take(k)).ToList();
                if (both.Count < top && k < union.Length) continue;
                if (both.Count > top)
                {
                    // Two genes entered at this k and only one fits: the one with the higher mean.
                    var before = byMean.Take(k - 1).Intersect(byStd.Take(k - 1)).ToHashSet();
                    both = [.. before, .. both.Where(g => !before.Contains(g)).OrderBy(byMean.IndexOf).Take(top - before.Count)];
                }
                return both.OrderBy(byMean.IndexOf).Select(g => genes[g]).ToArray();
            }
        }

        /// <summary>normalize_total (median), then seurat HVGs; the normalized counts stand for expm1(log1p(·)).</summary>
        public static int[] HighlyVariable(double[][] rows, int top)
        {
            var totals = rows.Select(r => r.Sum()).ToArray();
            var positive = totals.Where(t => t > 0).Order().ToArray();
            double target = positive.Length % 2 == 1 ? positive[positive.Length / 2] : (positive[positive.Length / 2 - 1] + positive[positive.Length / 2]) / 2;
            var normalized = rows.Select((r, i) => r.Select(v => totals[i] > 0 ? v * target / totals[i] : 0).ToArray()).ToArray();
            int genes = rows[0].Length;
            var mean = Enumerable.Range(0, genes).Select(g => normalized.Average(r => r[g])).ToArray();
            var variance = Enumerable.Range(0, genes).Select(g => normalized.Sum(r => Math.Pow(r[g] - mean[g], 2)) / (rows.Length - 1)).ToArray();
            var dispersion = NormalizedDispersion(mean, variance);
            var ranked = Enumerable.Range(0, genes).Where(g => !double.IsNaN(dispersion[g])).OrderByDescending(g => dispersion[g]).ToArray();
            if (ranked.Length == 0) return [];
            double cutoff = dispersion[ranked[Math.Min(top, ranked.Length) - 1]];
            return ranked.Where(g => dispersion[g] >= cutoff).ToArray();
        }

        public static double[] NormalizedDispersion(double[] mean, double[] variance)
        {
            int genes = mean.Length;
            var m = mean.Select(v => v == 0 ? 1e-12 : v).ToArray();
            var dispersion = Enumerable.Range(0, genes).Select(g => variance[g] / m[g]).Select(d => d == 0 ? double.NaN : Math.Log(d)).ToArray();
            // log1p through decimal-free identity: ln(1 + x) for tiny x is x to double precision.
            var logMean = m.Select(v => v < 1e-8 ? v - v * v / 2 : Math.Log(1 + v)).ToArray();
            double lo = logMean.Min(), hi = logMean.Max();
            var edges = Enumerable.Range(0, 21).Select(i => i == 20 ? hi : lo + i * ((hi - lo) / 20)).ToArray();
            edges[0] -= (hi - lo) / 1000;
            int BinOf(double x) => lo == hi ? 0 : Array.FindIndex(edges, e => e >= x) - 1;
            var result = new double[genes];
            foreach (var bin in Enumerable.Range(0, genes).GroupBy(g => BinOf(logMean[g])))
            {
                var values = bin.Select(g => dispersion[g]).Where(d => !double.IsNaN(d)).ToArray();
                double avg = values.Length == 0 ? double.NaN : values.Average();
                double std = values.Length < 2 ? double.NaN : Math.Sqrt(values.Sum(d => (d - avg) * (d - avg)) / (values.Length - 1));
                if (double.IsNaN(std)) (avg, std) = (0, avg);
                foreach (int g in bin) result[g] = (dispersion[g] - avg) / std;
            }
            return result;
        }
    }
}
