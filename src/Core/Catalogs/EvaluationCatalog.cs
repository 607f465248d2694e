using MlNetStem.Data;
using MlNetStem.Evaluation;

namespace MlNetStem.Catalogs;

/// <summary>Metrics over predicted and measured expression.</summary>
public sealed class EvaluationCatalog(StemContext context) : CatalogBase(context)
{
    /// <summary>
    /// Per-gene Pearson, PCC-10/50/200, mean PCC, MSE, MAE and RVD between two vector columns
    /// of the same size (measured <paramref name="label"/>, predicted <paramref name="score"/>).
    /// </summary>
    /// <exception cref="SchemaMismatchException">A column is missing or they differ in size.</exception>
    public ExpressionMetrics Evaluate(IDataView data, string label = "Expression", string score = "Score") =>
        ExpressionEvaluator.Evaluate(data, label, score);
}
