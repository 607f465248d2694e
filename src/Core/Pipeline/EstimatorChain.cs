using MlNetStem.Data;

namespace MlNetStem.Pipeline;

/// <summary>
/// Estimators applied in order: each is fitted on the output of the transformers before it.
/// The whole chain's schema is checked before any data is read.
/// </summary>
/// <typeparam name="TLast">Transformer type of the last estimator.</typeparam>
public sealed class EstimatorChain<TLast> : IEstimator<TransformerChain<TLast>> where TLast : class, ITransformer
{
    private readonly IReadOnlyList<IEstimator<ITransformer>> _estimators;

    internal EstimatorChain(IReadOnlyList<IEstimator<ITransformer>> estimators) => _estimators = estimators;

    /// <summary>The estimators in order.</summary>
    public IReadOnlyList<IEstimator<ITransformer>> Estimators => _estimators;

    /// <summary>Adds <paramref name="next"/> at the end.</summary>
    public EstimatorChain<TNext> Append<TNext>(IEstimator<TNext> next) where TNext : class, ITransformer =>
        new([.. _estimators, next]);

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var shape = inputSchema;
        foreach (var e in _estimators) shape = e.GetOutputSchema(shape);
        return shape;
    }

    /// <inheritdoc />
    public TransformerChain<TLast> Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.From(input.Schema));
        var fitted = new List<ITransformer>();
        var current = input;
        for (int i = 0; i < _estimators.Count; i++)
        {
            var transformer = _estimators[i].Fit(current);
            fitted.Add(transformer);
            // The last transformer's output is not needed for fitting.
            if (i < _estimators.Count - 1) current = transformer.Transform(current);
        }
        return new TransformerChain<TLast>(fitted);
    }
}
