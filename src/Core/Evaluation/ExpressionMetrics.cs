using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlNetStem.Evaluation;

/// <summary>
/// Quality of predicted expression against measured expression over a set of spots (see
/// METHODS.md). Per-gene Pearson correlations are taken across spots; genes whose measured
/// or predicted values are constant have no correlation and are left out of the PCC means
/// (<see cref="UndefinedCorrelationGenes"/> counts them).
/// </summary>
public sealed record ExpressionMetrics
{
    /// <summary>Spots evaluated.</summary>
    public required int SpotCount { get; init; }

    /// <summary>Genes in the panel.</summary>
    public required int GeneCount { get; init; }

    /// <summary>Mean of the 10 highest per-gene correlations (null when fewer than 10 genes have one).</summary>
    public double? Pcc10 { get; init; }

    /// <summary>Mean of the 50 highest per-gene correlations (null when fewer than 50).</summary>
    public double? Pcc50 { get; init; }

    /// <summary>Mean of the 200 highest per-gene correlations (null when fewer than 200).</summary>
    public double? Pcc200 { get; init; }

    /// <summary>Mean correlation over all genes that have one.</summary>
    public required double MeanPcc { get; init; }

    /// <summary>Mean squared error over all spots × genes.</summary>
    public required double Mse { get; init; }

    /// <summary>Mean absolute error over all spots × genes.</summary>
    public required double Mae { get; init; }

    /// <summary>Relative variance distance: mean over genes of (var_pred − var_true)² / var_true² (genes with var_true = 0 left out).</summary>
    public required double Rvd { get; init; }

    /// <summary>Genes without a defined correlation (constant truth or prediction).</summary>
    public required int UndefinedCorrelationGenes { get; init; }

    /// <summary>Per-gene Pearson correlation, by gene name (NaN written as null).</summary>
    public required IReadOnlyDictionary<string, double?> GeneCorrelations { get; init; }

    /// <summary>Empirical coverage of the nominal 80% intervals, for models that give them.</summary>
    public double? Coverage80 { get; init; }

    /// <summary>Empirical coverage of the nominal 90% intervals, for models that give them.</summary>
    public double? Coverage90 { get; init; }

    /// <summary>Coverage the 80% intervals had before the model's interval calibration (null for uncalibrated intervals).</summary>
    public double? RawCoverage80 { get; init; }

    /// <summary>Coverage the 90% intervals had before the model's interval calibration (null for uncalibrated intervals).</summary>
    public double? RawCoverage90 { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The metrics as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses JSON written by <see cref="ToJson"/>.</summary>
    public static ExpressionMetrics FromJson(string json) =>
        JsonSerializer.Deserialize<ExpressionMetrics>(json, JsonOptions) ?? throw new JsonException("Empty metrics JSON.");
}
