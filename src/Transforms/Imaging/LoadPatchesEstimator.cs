using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>Cuts a spot-centred patch of fixed physical size out of each spot's image. Nothing is learned.</summary>
public sealed class LoadPatchesEstimator : IEstimator<LoadPatchesTransformer>
{
    private readonly LoadPatchesOptions _options;

    /// <summary>Creates the estimator.</summary>
    /// <exception cref="ArgumentException">Invalid sizes.</exception>
    public LoadPatchesEstimator(LoadPatchesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        const string who = nameof(LoadPatchesEstimator);
        inputSchema.RequireKind(_options.ImageColumn, who, ColumnKind.Image);
        inputSchema.RequireKind(_options.XColumn, who, ColumnKind.Float64, ColumnKind.Float32, ColumnKind.Int32);
        inputSchema.RequireKind(_options.YColumn, who, ColumnKind.Float64, ColumnKind.Float32, ColumnKind.Int32);
        return inputSchema.With(_options.OutputColumn,
            ColumnTypes.FloatTensor(3, _options.SizePixels, _options.SizePixels));
    }

    /// <inheritdoc />
    public LoadPatchesTransformer Fit(IDataView input)
    {
        GetOutputSchema(SchemaShapes.From(input.Schema));
        return new LoadPatchesTransformer(_options);
    }
}
