using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>Drops spots whose patch is mostly background (glass, white), judged by a tissue mask per slide. Nothing is learned.</summary>
public sealed class FilterBackgroundSpotsEstimator : IEstimator<FilterBackgroundSpotsTransformer>
{
    private readonly FilterBackgroundSpotsOptions _options;

    /// <summary>Creates the estimator.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public FilterBackgroundSpotsEstimator(FilterBackgroundSpotsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        const string who = nameof(FilterBackgroundSpotsEstimator);
        inputSchema.RequireKind(_options.ImageColumn, who, ColumnKind.Image);
        inputSchema.RequireKind(_options.XColumn, who, ColumnKind.Float64, ColumnKind.Float32, ColumnKind.Int32);
        inputSchema.RequireKind(_options.YColumn, who, ColumnKind.Float64, ColumnKind.Float32, ColumnKind.Int32);
        return inputSchema;
    }

    /// <inheritdoc />
    public FilterBackgroundSpotsTransformer Fit(IDataView input)
    {
        GetOutputSchema(SchemaShapes.From(input.Schema));
        return new FilterBackgroundSpotsTransformer(_options);
    }
}
