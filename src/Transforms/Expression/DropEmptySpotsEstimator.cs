using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Expression;

/// <summary>Drops spots whose panel counts are all zero (Stem's preprocessing). Nothing is learned.</summary>
/// <param name="column">The panel column to test.</param>
public sealed class DropEmptySpotsEstimator(string column) : IEstimator<DropEmptySpotsTransformer>
{
    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        inputSchema.RequireKind(column, nameof(DropEmptySpotsEstimator), ColumnKind.FloatTensor);
        return inputSchema;
    }

    /// <inheritdoc />
    public DropEmptySpotsTransformer Fit(IDataView input)
    {
        GetOutputSchema(SchemaShapes.From(input.Schema));
        return new DropEmptySpotsTransformer(column);
    }
}
