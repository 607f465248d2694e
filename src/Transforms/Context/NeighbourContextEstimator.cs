using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Context;

/// <summary>Estimator of <see cref="NeighbourContextTransformer"/>. Nothing is learned but the training spots' pitch
/// (<see cref="NeighbourContextTransformer.TrainingPitchMicrons"/>), which dense maps use to take context at the same scale.</summary>
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
        new NeighbourContextTransformer(_options).GetOutputSchema(input.Schema);
        // Only positions are read (not the embeddings, which would featurize every training patch once more).
        return new NeighbourContextTransformer(_options, SpotPitch.MedianNearestMicrons(input, _options));
    }
}
