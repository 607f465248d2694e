namespace MlNetStem.Onnx.Tests;

/// <summary>Straightforward C# implementations to check ORT's results against.</summary>
internal static class Reference
{
    public static float[] RandomArray(Random rng, int n, float scale = 1f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>y[n,out] = x[n,in] @ w[in,out] + b[out] (b may be null).</summary>
    public static float[] Linear(float[] x, int n, int inF, float[] w, float[]? b, int outF)
    {
        var y = new float[n * outF];
        for (int r = 0; r < n; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = b?[o] ?? 0;
                for (int i = 0; i < inF; i++) s += x[r * inF + i] * (double)w[i * outF + o];
                y[r * outF + o] = (float)s;
            }
        return y;
    }

    /// <summary>LayerNorm over rows of width d.</summary>
    public static float[] LayerNorm(float[] x, int d, float[] gamma, float[] beta, double eps = 1e-5)
    {
        var y = new float[x.Length];
        for (int r = 0; r < x.Length / d; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < d; i++) mean += x[r * d + i];
            mean /= d;
            for (int i = 0; i < d; i++) var += Math.Pow(x[r * d + i] - mean, 2);
            var /= d;
            for (int i = 0; i < d; i++)
                y[r * d + i] = (float)((x[r * d + i] - mean) / Math.Sqrt(var + eps) * gamma[i] + beta[i]);
        }
        return y;
    }

    /// <summary>Softmax over rows of width d, in place.</summary>
    public static void SoftmaxRows(double[] x, int d)
    {
        for (int r = 0; r < x.Length / d; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int i = 0; i < d; i++) max = Math.Max(max, x[r * d + i]);
            for (int i = 0; i < d; i++) sum += x[r * d + i] = Math.Exp(x[r * d + i] - max);
            for (int i = 0; i < d; i++) x[r * d + i] /= sum;
        }
    }

    public static void AssertClose(float[] expected, float[] actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"element {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance})");
    }
}
