using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>The built-in morphology featurizer (see <see cref="MorphologyFeatures"/>). Nothing is learned.</summary>
/// <param name="outputColumn">Feature vector column to write.</param>
/// <param name="inputColumn">Patch column (float RGB CHW).</param>
public sealed class FeaturizeMorphologyEstimator(string outputColumn, string inputColumn) : IEstimator<FeaturizeMorphologyTransformer>
{
    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var patch = inputSchema.RequireKind(inputColumn, nameof(FeaturizeMorphologyEstimator), ColumnKind.FloatTensor);
        FeaturizeMorphologyTransformer.CheckPatchShape(inputColumn, patch.Type);
        return inputSchema.With(new SchemaShapeColumn(outputColumn, ColumnType.FloatTensor(MorphologyFeatures.Count), HasSlotNames: true));
    }

    /// <inheritdoc />
    public FeaturizeMorphologyTransformer Fit(IDataView input)
    {
        GetOutputSchema(SchemaShape.From(input.Schema));
        return new FeaturizeMorphologyTransformer(outputColumn, inputColumn);
    }
}
