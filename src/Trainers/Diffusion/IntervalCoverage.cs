using MlNetStem.Data;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>Empirical coverage of predictive intervals: the share of true values inside [lower, upper].</summary>
public static class IntervalCoverage
{
    /// <summary>Share of all values with lower ≤ truth ≤ upper (arrays of equal length, e.g. spots × genes).</summary>
    /// <exception cref="ArgumentException">Lengths differ or the arrays are empty.</exception>
    public static double Compute(ReadOnlySpan<float> truth, ReadOnlySpan<float> lower, ReadOnlySpan<float> upper)
    {
        if (truth.Length != lower.Length || truth.Length != upper.Length)
            throw new ArgumentException($"Coverage needs equal lengths, got truth {truth.Length}, lower {lower.Length}, upper {upper.Length}.");
        if (truth.Length == 0) throw new ArgumentException("Coverage needs at least one value.");
        long inside = 0;
        for (int i = 0; i < truth.Length; i++)
            if (truth[i] >= lower[i] && truth[i] <= upper[i]) inside++;
        return (double)inside / truth.Length;
    }

    /// <summary>Coverage of each gene over spots, for row-major spots × <paramref name="genes"/> arrays.</summary>
    /// <exception cref="ArgumentException">Lengths differ or are not a multiple of <paramref name="genes"/>.</exception>
    public static double[] PerGene(ReadOnlySpan<float> truth, ReadOnlySpan<float> lower, ReadOnlySpan<float> upper, int genes)
    {
        Compute(truth, lower, upper);
        if (genes < 1 || truth.Length % genes != 0) throw new ArgumentException($"{truth.Length} values do not form rows of {genes} genes.");
        var inside = new long[genes];
        for (int i = 0; i < truth.Length; i++)
            if (truth[i] >= lower[i] && truth[i] <= upper[i]) inside[i % genes]++;
        int spots = truth.Length / genes;
        return inside.Select(c => (double)c / spots).ToArray();
    }

    /// <summary>Coverage of the interval columns <paramref name="lower"/>/<paramref name="upper"/> for the truth in <paramref name="label"/>.</summary>
    /// <exception cref="SchemaMismatchException">A column is missing or the widths differ.</exception>
    /// <param name="data">Scored rows.</param>
    /// <param name="label">Measured values.</param>
    /// <param name="lower">Interval lower bounds.</param>
    /// <param name="upper">Interval upper bounds.</param>
    /// <param name="scale">Read each interval as its centre ± half-width / <paramref name="scale"/>: with a model's calibration
    /// scale (<see cref="StemDiffusionTransformer.IntervalScale"/>) this is the coverage of the raw, uncalibrated interval.</param>
    public static double Compute(IDataView data, string label, string lower, string upper, double scale = 1)
    {
        if (!(scale > 0) || !double.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The interval scale must be a positive number.");
        ArgumentNullException.ThrowIfNull(data);
        var truthColumn = data.Schema.RequireKind(label, nameof(IntervalCoverage), ColumnKind.FloatTensor);
        data.Schema.Require(lower, truthColumn.Type, nameof(IntervalCoverage));
        data.Schema.Require(upper, truthColumn.Type, nameof(IntervalCoverage));
        var t = new List<float>();
        var lo = new List<float>();
        var hi = new List<float>();
        foreach (var batch in data.ReadBatches([label, lower, upper]))
        {
            t.AddRange(batch.GetFloats(label));
            lo.AddRange(batch.GetFloats(lower));
            hi.AddRange(batch.GetFloats(upper));
        }
        if (scale != 1)
            for (int i = 0; i < lo.Count; i++)
            {
                float centre = 0.5f * (lo[i] + hi[i]), half = (float)(0.5 * (hi[i] - lo[i]) / scale);
                (lo[i], hi[i]) = (centre - half, centre + half);
            }
        return Compute(t.ToArray(), lo.ToArray(), hi.ToArray());
    }
}
