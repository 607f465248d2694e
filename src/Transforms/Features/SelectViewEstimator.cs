using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Features;

/// <summary>Picks one view of a multi-view feature column (<c>[A, D]</c> → <c>[D]</c>). Nothing is learned.</summary>
/// <param name="outputColumn">Column to write.</param>
/// <param name="inputColumn">Multi-view column, e.g. dihedral morphology features.</param>
/// <param name="view">View index; 0 is the unaugmented patch.</param>
public sealed class SelectViewEstimator(string outputColumn, string inputColumn, int view = 0) : IEstimator<SelectViewTransformer>
{
    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var input = inputSchema.RequireKind(inputColumn, nameof(SelectViewEstimator), ColumnKind.FloatTensor);
        var type = SelectViewTransformer.ViewType(inputColumn, input.Type, view);
        return inputSchema.With(new SchemaShapeColumn(outputColumn, type, input.HasSlotNames));
    }

    /// <inheritdoc />
    public SelectViewTransformer Fit(IDataView input)
    {
        GetOutputSchema(SchemaShape.From(input.Schema));
        return new SelectViewTransformer(outputColumn, inputColumn, view);
    }
}
