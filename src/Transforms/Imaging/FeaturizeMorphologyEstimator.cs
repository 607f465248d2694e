using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>The built-in morphology featurizer (see <see cref="MorphologyFeatures"/>). Nothing is learned.</summary>
/// <param name="outputColumn">Feature vector column to write.</param>
/// <param name="inputColumn">Patch column (float RGB CHW).</param>
/// <param name="dihedralViews">
/// When true the output is <c>[8, D]</c>: features of the 8 dihedral views of each patch (view 0 = the patch
/// itself), the augmentation Stem trains on. Regressors take one view with <c>SelectView</c>.
/// </param>
public sealed class FeaturizeMorphologyEstimator(string outputColumn, string inputColumn, bool dihedralViews = false) : IEstimator<FeaturizeMorphologyTransformer>
{
    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        // A float patch [3, S, S], or an ML.NET image column (ImageAnalytics' LoadImages + ResizeImages).
        if (inputSchema.Find(inputColumn) is not { } image || !ImagePatches.IsImage(image))
            inputSchema.RequireKind(inputColumn, nameof(FeaturizeMorphologyEstimator), ColumnKind.FloatTensor);
        return inputSchema.With(outputColumn, FeaturizeMorphologyTransformer.OutputType(dihedralViews), hasSlotNames: true);
    }

    /// <inheritdoc />
    public FeaturizeMorphologyTransformer Fit(IDataView input)
    {
        // The patch shape (3 × H × W) is checked on the schema: shapes carry no vector sizes.
        var transformer = new FeaturizeMorphologyTransformer(outputColumn, inputColumn, dihedralViews);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }
}
