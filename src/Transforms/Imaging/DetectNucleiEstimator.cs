using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>Detects the nuclei inside each spot's disk (<see cref="DetectNucleiTransformer"/>). Nothing is learned.</summary>
public sealed class DetectNucleiEstimator : IEstimator<DetectNucleiTransformer>
{
    private readonly DetectNucleiOptions _options;

    /// <summary>Creates the estimator.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public DetectNucleiEstimator(DetectNucleiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        const string who = nameof(DetectNucleiEstimator);
        inputSchema.RequireKind(_options.ImageColumn, who, ColumnKind.Image);
        inputSchema.RequireKind(_options.XColumn, who, ColumnKind.Float64, ColumnKind.Float32, ColumnKind.Int32);
        inputSchema.RequireKind(_options.YColumn, who, ColumnKind.Float64, ColumnKind.Float32, ColumnKind.Int32);
        return inputSchema.With(DetectNucleiTransformer.OutputColumns(_options).ToArray());
    }

    /// <inheritdoc />
    public DetectNucleiTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new DetectNucleiTransformer(_options);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }
}
