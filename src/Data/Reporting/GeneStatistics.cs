namespace MlNetStem.Data.Reporting;

/// <summary>Per-gene spread of measured and predicted expression across a section's spots.</summary>
/// <param name="MeasuredVariance">Variance across spots of each gene's measured expression (null without counts).</param>
/// <param name="PredictedVariance">Variance across spots of each gene's prediction.</param>
/// <param name="Rvd">Per-gene relative variance distance (var_pred − var_true)² / var_true² (NaN where var_true = 0; null without counts).</param>
public sealed record GeneStatistics(double[]? MeasuredVariance, double[] PredictedVariance, double[]? Rvd)
{
    /// <summary>Computes the statistics of <paramref name="spots"/>.</summary>
    public static GeneStatistics Of(ScoredSpots spots)
    {
        ArgumentNullException.ThrowIfNull(spots);
        double[] predicted = Variances(spots.Predicted, spots.Rows, spots.Genes.Count);
        if (spots.Observed is null) return new GeneStatistics(null, predicted, null);
        double[] measured = Variances(spots.Observed, spots.Rows, spots.Genes.Count);
        var rvd = measured.Select((m, g) => m > 0 ? (predicted[g] - m) * (predicted[g] - m) / (m * m) : double.NaN).ToArray();
        return new GeneStatistics(measured, predicted, rvd);
    }

    private static double[] Variances(float[] values, int rows, int genes)
    {
        var result = new double[genes];
        for (int g = 0; g < genes; g++)
        {
            double sum = 0, squares = 0;
            for (int r = 0; r < rows; r++) sum += values[r * genes + g];
            double mean = sum / rows;
            for (int r = 0; r < rows; r++) squares += (values[r * genes + g] - mean) * (values[r * genes + g] - mean);
            result[g] = rows > 1 ? squares / (rows - 1) : 0;
        }
        return result;
    }
}
