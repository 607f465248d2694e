using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>Cuts a small crop around each detected nucleus of a spot (<see cref="LoadNucleusCropsTransformer"/>). Nothing is learned.</summary>
public sealed class LoadNucleusCropsEstimator : IEstimator<LoadNucleusCropsTransformer>
{
    private readonly LoadNucleusCropsOptions _options;

    /// <summary>Creates the estimator.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public LoadNucleusCropsEstimator(LoadNucleusCropsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    /// <exception cref="SchemaMismatchException">The image, nuclei or mask column is missing or of the wrong kind.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        const string who = nameof(LoadNucleusCropsEstimator);
        inputSchema.RequireKind(_options.ImageColumn, who, ColumnKind.Image);
        inputSchema.RequireKind(_options.NucleiColumn, who, ColumnKind.FloatTensor);
        inputSchema.RequireKind(_options.MaskColumn, who, ColumnKind.FloatTensor);
        // The number of nuclei per spot is the nuclei table's, known once the data is.
        return inputSchema.With(_options.OutputColumn, new VectorDataViewType(NumberDataViewType.Single, 1));
    }

    /// <inheritdoc />
    /// <exception cref="SchemaMismatchException">A column is missing or of the wrong shape.</exception>
    public LoadNucleusCropsTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new LoadNucleusCropsTransformer(_options);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }
}
