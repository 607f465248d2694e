namespace MlNetStem.Trainers.Mlp;

/// <summary>Per-column mean and standard deviation, applied as <c>(x − mean) / std</c> in float.</summary>
internal sealed class Standardization
{
    public Standardization(float[] mean, float[] std)
    {
        if (mean.Length != std.Length) throw new ArgumentException($"{mean.Length} means for {std.Length} standard deviations.");
        Mean = mean;
        Std = std;
    }

    public float[] Mean { get; }

    public float[] Std { get; }

    public int Width => Mean.Length;

    /// <summary>Identity scaling (mean 0, std 1).</summary>
    public static Standardization Identity(int width) => new(new float[width], Enumerable.Repeat(1f, width).ToArray());

    /// <summary>Statistics of the given rows of a row-major <c>[rows, width]</c> array; constant columns get std 1.</summary>
    public static Standardization Fit(float[] values, int width, IReadOnlyList<int> rows)
    {
        var mean = new double[width];
        var sq = new double[width];
        foreach (int r in rows)
            for (int j = 0; j < width; j++) mean[j] += values[r * width + j];
        for (int j = 0; j < width; j++) mean[j] /= rows.Count;
        foreach (int r in rows)
            for (int j = 0; j < width; j++)
            {
                double c = values[r * width + j] - mean[j];
                sq[j] += c * c;
            }
        var std = new float[width];
        for (int j = 0; j < width; j++)
        {
            double s = Math.Sqrt(sq[j] / rows.Count);
            std[j] = s > 1e-6 ? (float)s : 1f;
        }
        return new Standardization(mean.Select(m => (float)m).ToArray(), std);
    }

    /// <summary>Standardizes a row-major array in place.</summary>
    public void Apply(Span<float> values)
    {
        int w = Width;
        for (int i = 0; i < values.Length; i++) values[i] = (values[i] - Mean[i % w]) / Std[i % w];
    }

    /// <summary>Undoes <see cref="Apply"/> in place: <c>x · std + mean</c>.</summary>
    public void Invert(Span<float> values)
    {
        int w = Width;
        for (int i = 0; i < values.Length; i++) values[i] = values[i] * Std[i % w] + Mean[i % w];
    }
}
