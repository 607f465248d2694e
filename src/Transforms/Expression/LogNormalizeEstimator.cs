using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Expression;

/// <summary>
/// log(x + 1) of a counts vector, optionally after scaling each spot to a common total
/// (library-size normalization). Nothing is learned.
/// </summary>
/// <param name="outputColumn">Column to write.</param>
/// <param name="inputColumn">Counts vector to read.</param>
/// <param name="logBase">log2 (Stem) or natural log (HEST).</param>
/// <param name="targetTotal">When set, counts are first scaled so each spot sums to this.</param>
public sealed class LogNormalizeEstimator(string outputColumn, string inputColumn, LogBase logBase = LogBase.Two, float? targetTotal = null)
    : IEstimator<LogNormalizeTransformer>
{
    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var input = inputSchema.RequireKind(inputColumn, nameof(LogNormalizeEstimator), ColumnKind.FloatTensor);
        return inputSchema.WithCopy(input, outputColumn);
    }

    /// <inheritdoc />
    public LogNormalizeTransformer Fit(IDataView input)
    {
        GetOutputSchema(SchemaShapes.From(input.Schema));
        return new LogNormalizeTransformer(outputColumn, inputColumn, logBase, targetTotal);
    }
}
