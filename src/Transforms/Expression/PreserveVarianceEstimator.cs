using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Expression;

/// <summary>
/// A variance-preserving point estimate for one section from a sampling model's per-spot mean and spread. The mean of the
/// draws is the MSE-optimal prediction but its spread across spots is only the between-spot part of the variance the
/// model predicts; by the law of total variance the model's predicted variance of a gene across the section is
/// <c>Var_spots(mean) + mean_spots(std²)</c>. <see cref="Fit"/> reads the section's predictions (no labels) and, per gene,
/// scales the deviations of the mean from its section average so their variance equals that total.
/// </summary>
/// <remarks>
/// The map is affine and increasing per gene, so per-gene correlations (PCC) are exactly those of the mean; MSE grows,
/// and how close the variance comes to the truth (RVD) tests the model's calibration. It is transductive — fitted on the
/// section it transforms, like a per-section normalization — so fit it on each predicted section, not on training data.
/// </remarks>
/// <param name="outputColumn">Column to write.</param>
/// <param name="scoreColumn">Per-spot mean of the draws (e.g. Stem's <c>Score</c>).</param>
/// <param name="spreadColumn">Per-spot standard deviation of the draws (e.g. <c>ScoreStd</c>), same shape.</param>
public sealed class PreserveVarianceEstimator(string outputColumn, string scoreColumn, string spreadColumn) : IEstimator<PreserveVarianceTransformer>
{
    /// <inheritdoc />
    /// <exception cref="SchemaMismatchException">A column is missing, not a float vector, or the two differ in size.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var score = inputSchema.RequireKind(scoreColumn, nameof(PreserveVarianceEstimator), ColumnKind.FloatTensor);
        _ = inputSchema.RequireKind(spreadColumn, nameof(PreserveVarianceEstimator), ColumnKind.FloatTensor);
        return inputSchema.WithCopy(score, outputColumn);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">Fewer than 2 spots, or NaN/infinite/negative values.</exception>
    public PreserveVarianceTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShapes.From(input.Schema));
        int g = input.Schema.Get(scoreColumn).Type.Size;
        var spreadType = input.Schema.Get(spreadColumn).Type;
        if (spreadType.Size != g)
            throw new SchemaMismatchException(spreadColumn, $"a float vector of {g} values like '{scoreColumn}'", spreadType.ToString(), nameof(PreserveVarianceEstimator));
        var sum = new double[g];
        var sumSquares = new double[g];
        var spreadSquares = new double[g];
        long n = 0;
        foreach (var batch in input.ReadBatches([scoreColumn, spreadColumn]))
        {
            var score = batch.GetFloats(scoreColumn);
            var spread = batch.GetFloats(spreadColumn);
            for (int i = 0; i < score.Length; i++)
            {
                if (!float.IsFinite(score[i]) || !float.IsFinite(spread[i]) || spread[i] < 0)
                    throw new InvalidDataException($"PreserveVariance: spot {n + i / g}, value {i % g}: score {score[i]}, spread {spread[i]} (must be finite, spread ≥ 0).");
                int j = i % g;
                sum[j] += score[i];
                sumSquares[j] += (double)score[i] * score[i];
                spreadSquares[j] += (double)spread[i] * spread[i];
            }
            n += batch.RowCount;
        }
        if (n < 2) throw new InvalidDataException($"PreserveVariance needs at least 2 spots of a section, got {n}.");
        var center = new float[g];
        var factor = new float[g];
        for (int j = 0; j < g; j++)
        {
            double mean = sum[j] / n, between = Math.Max(sumSquares[j] / n - mean * mean, 0), within = spreadSquares[j] / n;
            center[j] = (float)mean;
            // A gene the model predicts as constant has nothing to stretch: leave it.
            factor[j] = between > 1e-12 ? (float)Math.Sqrt((between + within) / between) : 1f;
        }
        return new PreserveVarianceTransformer(outputColumn, scoreColumn, center, factor);
    }
}
