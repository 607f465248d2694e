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
        // Shapes carry no vector sizes: the view's width is checked against the schema when fitting.
        return inputSchema.With(outputColumn, ColumnTypes.FloatVectorOfUnknownSize);
    }

    /// <inheritdoc />
    public SelectViewTransformer Fit(IDataView input)
    {
        var transformer = new SelectViewTransformer(outputColumn, inputColumn, view);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }
}
