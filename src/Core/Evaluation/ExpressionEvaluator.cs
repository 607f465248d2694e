using Microsoft.ML;
using MlNetStem.Data;

namespace MlNetStem.Evaluation;

/// <summary>Computes <see cref="ExpressionMetrics"/> from measured and predicted matrices.</summary>
public static class ExpressionEvaluator
{
    /// <summary>Reads the two vector columns of <paramref name="data"/> and evaluates them.</summary>
    /// <exception cref="SchemaMismatchException">A column is missing or they differ in size.</exception>
    public static ExpressionMetrics Evaluate(IDataView data, string label, string score)
    {
        ArgumentNullException.ThrowIfNull(data);
        var labelColumn = data.Schema.RequireKind(label, "Evaluate", ColumnKind.FloatTensor);
        var scoreColumn = data.Schema.Require(score, labelColumn.Type, "Evaluate");
        if (labelColumn.SlotNames is { } a && scoreColumn.SlotNames is { } b && !a.SequenceEqual(b))
            throw new SchemaMismatchException(score, $"the genes of '{label}'", "a different gene list", "Evaluate");
        int genes = labelColumn.Type.Size;
        var truth = new List<float>();
        var predicted = new List<float>();
        foreach (var batch in data.ReadBatches([label, score]))
        {
            truth.AddRange(batch.GetFloats(label));
            predicted.AddRange(batch.GetFloats(score));
        }
        var names = labelColumn.SlotNames ?? Enumerable.Range(0, genes).Select(i => $"gene{i}").ToArray();
        return Evaluate(truth.ToArray(), predicted.ToArray(), genes, names);
    }

    /// <summary>Evaluates row-major spots × genes matrices.</summary>
    /// <exception cref="ArgumentException">Sizes differ, no spots, or a value is not finite.</exception>
    public static ExpressionMetrics Evaluate(float[] truth, float[] predicted, int genes, IReadOnlyList<string> geneNames)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        if (genes <= 0 || geneNames.Count != genes) throw new ArgumentException($"Need {genes} gene names, got {geneNames.Count}.");
        if (truth.Length != predicted.Length || truth.Length % genes != 0)
            throw new ArgumentException($"Truth ({truth.Length} values) and prediction ({predicted.Length}) do not form matching spots × {genes} matrices.");
        int spots = truth.Length / genes;
        if (spots < 2) throw new ArgumentException($"Need at least 2 spots to evaluate, got {spots}.");
        if (!truth.All(float.IsFinite) || !predicted.All(float.IsFinite))
            throw new ArgumentException("Truth and prediction must be finite (found NaN or infinity).");

        var correlations = new double[genes];
        double rvdSum = 0;
        int rvdCount = 0;
        for (int g = 0; g < genes; g++)
        {
            var (r, varTrue, varPred) = PearsonWithVariances(truth, predicted, g, genes, spots);
            correlations[g] = r;
            if (varTrue > 0)
            {
                double d = varPred - varTrue;
                rvdSum += d * d / (varTrue * varTrue);
                rvdCount++;
            }
        }
        double se = 0, ae = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            double d = (double)predicted[i] - truth[i];
            se += d * d;
            ae += Math.Abs(d);
        }
        var defined = correlations.Where(double.IsFinite).OrderDescending().ToArray();
        return new ExpressionMetrics
        {
            SpotCount = spots,
            GeneCount = genes,
            Pcc10 = TopMean(defined, 10),
            Pcc50 = TopMean(defined, 50),
            Pcc200 = TopMean(defined, 200),
            MeanPcc = defined.Length == 0 ? double.NaN : defined.Average(),
            Mse = se / truth.Length,
            Mae = ae / truth.Length,
            Rvd = rvdCount == 0 ? double.NaN : rvdSum / rvdCount,
            UndefinedCorrelationGenes = genes - defined.Length,
            GeneCorrelations = Enumerable.Range(0, genes).ToDictionary(g => geneNames[g],
                g => double.IsFinite(correlations[g]) ? correlations[g] : (double?)null),
        };
    }

    /// <summary>Pearson correlation of two samples; NaN when either is constant.</summary>
    public static double Pearson(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException("Samples differ in length.");
        double mx = 0, my = 0;
        for (int i = 0; i < x.Length; i++) { mx += x[i]; my += y[i]; }
        mx /= x.Length;
        my /= y.Length;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxx <= 0 || syy <= 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    private static (double R, double VarTrue, double VarPred) PearsonWithVariances(float[] t, float[] p, int g, int genes, int spots)
    {
        var x = new double[spots];
        var y = new double[spots];
        for (int s = 0; s < spots; s++)
        {
            x[s] = t[s * genes + g];
            y[s] = p[s * genes + g];
        }
        return (Pearson(x, y), Variance(x), Variance(y));
    }

    private static double Variance(double[] v)
    {
        double m = v.Average();
        return v.Sum(a => (a - m) * (a - m)) / v.Length;
    }

    private static double? TopMean(double[] sortedDescending, int k) =>
        sortedDescending.Length < k ? null : sortedDescending.Take(k).Average();
}
