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
    /// <exception cref="SchemaMismatchException">The label or feature column is missing or not a float vector.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var label = inputSchema.RequireKind(_options.LabelColumn, nameof(RidgeEstimator), ColumnKind.FloatTensor);
        inputSchema.RequireKind(_options.FeatureColumn, nameof(RidgeEstimator), ColumnKind.FloatTensor);
        return inputSchema.WithCopy(label, _options.OutputColumn);
    }

    /// <inheritdoc />
    /// <exception cref="SchemaMismatchException">The label or feature column is missing or not a float vector.</exception>
    /// <exception cref="InvalidDataException">Fewer than 2 rows, or NaN/infinite features or labels.</exception>
    public RidgeTransformer Fit(IDataView input)
    {
        var labelColumn = input.Schema.RequireKind(_options.LabelColumn, nameof(RidgeEstimator), ColumnKind.FloatTensor);
        var featureColumn = input.Schema.RequireKind(_options.FeatureColumn, nameof(RidgeEstimator), ColumnKind.FloatTensor);
        int d = featureColumn.Type.Size, k = labelColumn.Type.Size;
        var xs = new List<float>();
        var ys = new List<float>();
        using (var scope = _progress.Start("reading training features", input.GetRowCount()))
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

        var solution = RidgeSolver.Fit(xs, ys, n, d, k, _options.Alpha, _options.PcaComponents, center: true,
            _options.Penalty, _options.FitIntercept);
        return new RidgeTransformer(_options.OutputColumn, _options.FeatureColumn, d, solution.Weights, solution.Bias, labelColumn.SlotNames?.ToArray(),
            solution.Alpha, solution.Center);
    }
}
