using MathNet.Numerics.LinearAlgebra;
using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Trainers.Ridge;

/// <summary>
/// Multi-output ridge regression in closed form: features standardized (and optionally
/// PCA-projected, as in the HEST benchmark), one shared penalty chosen by generalized
/// cross-validation, intercept unpenalized. The baseline every other trainer must beat.
/// </summary>
public sealed class RidgeEstimator : IEstimator<RidgeTransformer>
{
    private readonly RidgeOptions _options;
    private readonly IProgressReporter _progress;

    /// <summary>Creates the estimator.</summary>
    /// <exception cref="ArgumentException">Negative penalty or PCA size.</exception>
    public RidgeEstimator(RidgeOptions options, IProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Alpha is { } a && !(a >= 0)) throw new ArgumentException($"Ridge penalty must be ≥ 0, got {a}.");
        if (options.PcaComponents < 0) throw new ArgumentException($"PCA components must be ≥ 0, got {options.PcaComponents}.");
        _options = options;
        _progress = progress ?? SilentProgressReporter.Instance;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var label = inputSchema.RequireKind(_options.LabelColumn, nameof(RidgeEstimator), ColumnKind.FloatTensor);
        inputSchema.RequireKind(_options.FeatureColumn, nameof(RidgeEstimator), ColumnKind.FloatTensor);
        return inputSchema.With(new SchemaShapeColumn(_options.OutputColumn, label.Type, label.HasSlotNames));
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">Fewer than 2 rows, or NaN/infinite features or labels.</exception>
    public RidgeTransformer Fit(IDataView input)
    {
        GetOutputSchema(SchemaShape.From(input.Schema));
        var featureColumn = input.Schema[_options.FeatureColumn];
        var labelColumn = input.Schema[_options.LabelColumn];
        int d = featureColumn.Type.Size, k = labelColumn.Type.Size;
        var xs = new List<float>();
        var ys = new List<float>();
        using (var scope = _progress.Start("reading training features", input.RowCount))
        {
            foreach (var batch in input.ReadBatches([_options.FeatureColumn, _options.LabelColumn], 64))
            {
                xs.AddRange(batch.GetFloats(_options.FeatureColumn));
                ys.AddRange(batch.GetFloats(_options.LabelColumn));
                scope.Advance(batch.RowCount);
            }
        }
        int n = xs.Count / d;
        if (n < 2) throw new InvalidDataException($"Ridge needs at least 2 training rows, got {n}.");
        if (!xs.All(float.IsFinite)) throw new InvalidDataException($"Ridge: column '{_options.FeatureColumn}' contains NaN or infinite values.");
        if (!ys.All(float.IsFinite)) throw new InvalidDataException($"Ridge: column '{_options.LabelColumn}' contains NaN or infinite values.");

        var x = Matrix<double>.Build.Dense(n, d, (i, j) => xs[i * d + j]);
        var y = Matrix<double>.Build.Dense(n, k, (i, j) => ys[i * k + j]);
        var mean = x.ColumnSums() / n;
        var std = Vector<double>.Build.Dense(d, j =>
        {
            double s = Math.Sqrt(x.Column(j).Subtract(mean[j]).PointwisePower(2).Sum() / n);
            return s > 1e-12 ? s : 1;     // constant features contribute nothing
        });
        var z = Matrix<double>.Build.Dense(n, d, (i, j) => (x[i, j] - mean[j]) / std[j]);
        var yMean = y.ColumnSums() / n;
        var yc = y - Matrix<double>.Build.Dense(n, k, (_, j) => yMean[j]);

        // Optional PCA: z ≈ (z P) with P the top principal axes.
        Matrix<double> projection = Matrix<double>.Build.DenseIdentity(d);
        if (_options.PcaComponents > 0 && _options.PcaComponents < d)
        {
            var evd = (z.TransposeThisAndMultiply(z) / n).Evd(Symmetricity.Symmetric);
            var order = Enumerable.Range(0, d).OrderByDescending(i => evd.EigenValues[i].Real).Take(_options.PcaComponents).ToArray();
            projection = Matrix<double>.Build.Dense(d, order.Length, (i, j) => evd.EigenVectors[i, order[j]]);
        }
        var zp = z * projection;
        var gram = zp.TransposeThisAndMultiply(zp);
        var eig = gram.Evd(Symmetricity.Symmetric);
        var v = eig.EigenVectors;
        var lambda = eig.EigenValues.Map(c => Math.Max(c.Real, 0));
        var vtXtY = v.TransposeThisAndMultiply(zp.TransposeThisAndMultiply(yc));

        Matrix<double> Solve(double alpha) =>
            v * Matrix<double>.Build.Dense(lambda.Count, k, (i, j) => vtXtY[i, j] / (lambda[i] + alpha));

        double chosen = _options.Alpha ?? RidgeOptions.AlphaGrid.MinBy(alpha =>
        {
            var residual = yc - zp * Solve(alpha);
            double df = lambda.Sum(l => l / (l + alpha));
            double denominator = Math.Pow(1 - df / n, 2);
            return denominator <= 1e-12 ? double.PositiveInfinity : residual.FrobeniusNorm() * residual.FrobeniusNorm() / n / denominator;
        });
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
                b -= wij * mean[i];
            }
            bias[j] = (float)b;
        }
        return new RidgeTransformer(_options.OutputColumn, _options.FeatureColumn, d, weights, bias, labelColumn.SlotNames?.ToArray(), chosen);
    }
}
