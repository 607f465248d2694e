using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Context;

/// <summary>Estimator of <see cref="NeighbourContextTransformer"/> (nothing is learned; the schema is checked when fitting).</summary>
public sealed class NeighbourContextEstimator : IEstimator<NeighbourContextTransformer>
{
    private readonly NeighbourContextOptions _options;

    /// <summary>Creates the estimator.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public NeighbourContextEstimator(NeighbourContextOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        inputSchema.RequireKind(_options.InputColumn, "NeighbourContext", ColumnKind.FloatTensor);
        foreach (string position in new[] { _options.XColumn, _options.YColumn })
            if (inputSchema.Find(position) is null) throw new SchemaMismatchException(position, "a spot position column (pixels)", null, "NeighbourContext");
        var shape = inputSchema.With(_options.OutputColumn, ColumnTypes.FloatVectorOfUnknownSize);
        return _options.Pooling == ContextPooling.None ? shape.With(_options.MaskColumn, ColumnTypes.FloatVectorOfUnknownSize) : shape;
    }

    /// <inheritdoc />
    public NeighbourContextTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new NeighbourContextTransformer(_options);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }
}
