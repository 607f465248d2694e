using MathNet.Numerics.LinearAlgebra;

namespace MlNetStem.Trainers.Ridge;

/// <summary>
/// The closed-form multi-output ridge regression behind <see cref="RidgeEstimator"/> (and the diffusion trainer's mean
/// prior): features standardized, optionally PCA-projected, one shared penalty chosen by generalized cross-validation,
/// intercept unpenalized; the feature scaling folded into the returned weights, so a prediction is <c>x·W + b</c>, or
/// <c>(x − c)·W + b</c> with the training means c kept apart (<c>center: true</c>): folding the means into b cancels large
/// terms in float32 when a feature barely varies.
/// </summary>
internal static class RidgeSolver
{
    /// <summary>A fitted ridge: row-major weights [features, outputs], bias [outputs], the penalty used, and the feature
    /// means subtracted before the weights (null when folded into the bias).</summary>
    internal sealed record Solution(int Features, int Outputs, float[] Weights, float[] Bias, double Alpha, float[]? Center = null)
    {
        /// <summary>Writes x·W + b for <paramref name="rows"/> rows of <paramref name="x"/> [rows, Features] into
        /// <paramref name="output"/> [rows, Outputs].</summary>
        public void Predict(ReadOnlySpan<float> x, int rows, Span<float> output)
        {
            for (int r = 0; r < rows; r++)
            {
                var o = output.Slice(r * Outputs, Outputs);
                Bias.CopyTo(o);
                for (int i = 0; i < Features; i++)
                {
                    float xi = Center is null ? x[r * Features + i] : x[r * Features + i] - Center[i];
                    if (xi == 0) continue;
                    var w = Weights.AsSpan(i * Outputs, Outputs);
                    for (int j = 0; j < Outputs; j++) o[j] += xi * w[j];
                }
            }
        }
    }

    /// <summary>Fits <paramref name="n"/> rows of features <paramref name="xs"/> [n, d] to labels <paramref name="ys"/> [n, k].</summary>
    /// <param name="xs">Row-major features.</param>
    /// <param name="ys">Row-major labels.</param>
    /// <param name="n">Rows.</param>
    /// <param name="d">Features per row.</param>
    /// <param name="k">Outputs per row.</param>
    /// <param name="alpha">Fixed penalty, or null to choose it from <see cref="RidgeOptions.AlphaGrid"/> by GCV.</param>
    /// <param name="pcaComponents">When in (0, d), regress on this many principal components of the standardized features.</param>
    /// <param name="center">Keep the feature means apart (<see cref="Solution.Center"/>) instead of folding them into the bias.</param>
    /// <param name="penalty">How to choose the penalty when <paramref name="alpha"/> is null.</param>
    /// <param name="fitIntercept">Fit an intercept (targets centered); false regresses the raw targets on standardized features.</param>
    public static Solution Fit(IReadOnlyList<float> xs, IReadOnlyList<float> ys, int n, int d, int k, double? alpha = null, int pcaComponents = 0,
        bool center = false, RidgePenalty penalty = RidgePenalty.CrossValidated, bool fitIntercept = true)
    {
        var x = Matrix<double>.Build.Dense(n, d, (i, j) => xs[i * d + j]);
        var y = Matrix<double>.Build.Dense(n, k, (i, j) => ys[i * k + j]);
        var mean = x.ColumnSums() / n;
        var std = Vector<double>.Build.Dense(d, j =>
        {
            double s = Math.Sqrt(x.Column(j).Subtract(mean[j]).PointwisePower(2).Sum() / n);
            return s > 1e-12 ? s : 1;     // constant features contribute nothing
        });
        var z = Matrix<double>.Build.Dense(n, d, (i, j) => (x[i, j] - mean[j]) / std[j]);
        var yMean = fitIntercept ? y.ColumnSums() / n : Vector<double>.Build.Dense(k);
        var yc = y - Matrix<double>.Build.Dense(n, k, (_, j) => yMean[j]);

        // Optional PCA: z ≈ (z P) with P the top principal axes.
        Matrix<double> projection = Matrix<double>.Build.DenseIdentity(d);
        if (pcaComponents > 0 && pcaComponents < d)
        {
            var evd = (z.TransposeThisAndMultiply(z) / n).Evd(Symmetricity.Symmetric);
            var order = Enumerable.Range(0, d).OrderByDescending(i => evd.EigenValues[i].Real).Take(pcaComponents).ToArray();
            projection = Matrix<double>.Build.Dense(d, order.Length, (i, j) => evd.EigenVectors[i, order[j]]);
        }
        var zp = z * projection;
        var gram = zp.TransposeThisAndMultiply(zp);
        var eig = gram.Evd(Symmetricity.Symmetric);
        var v = eig.EigenVectors;
        var lambda = eig.EigenValues.Map(c => Math.Max(c.Real, 0));
        var vtXtY = v.TransposeThisAndMultiply(zp.TransposeThisAndMultiply(yc));

        Matrix<double> Solve(double a) =>
            v * Matrix<double>.Build.Dense(lambda.Count, k, (i, j) => vtXtY[i, j] / (lambda[i] + a));

        double chosen = alpha ?? (penalty == RidgePenalty.HestBenchmark ? 100.0 / ((double)zp.ColumnCount * k) : RidgeOptions.AlphaGrid.MinBy(a =>
        {
            var residual = yc - zp * Solve(a);
            double df = lambda.Sum(l => l / (l + a));
            double denominator = Math.Pow(1 - df / n, 2);
            return denominator <= 1e-12 ? double.PositiveInfinity : residual.FrobeniusNorm() * residual.FrobeniusNorm() / n / denominator;
        }));
        var w = projection * Solve(chosen);
        // Fold standardization into the weights: score = x·W' + b.
        var weights = new float[d * k];
        var bias = new float[k];
        for (int j = 0; j < k; j++)
        {
            double b = yMean[j];
            for (int i = 0; i < d; i++)
            {
                double wij = w[i, j] / std[i];
                weights[i * k + j] = (float)wij;
                if (!center) b -= wij * mean[i];
            }
            bias[j] = (float)b;
        }
        return new Solution(d, k, weights, bias, chosen, center ? mean.Select(m => (float)m).ToArray() : null);
    }
}
