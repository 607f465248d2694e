using MlNetStem.Data;

namespace MlNetStem.Pipeline;

/// <summary>Learns a transformer from data.</summary>
/// <typeparam name="TTransformer">What fitting produces.</typeparam>
public interface IEstimator<out TTransformer> where TTransformer : ITransformer
{
    /// <summary>The output schema shape for a given input shape; throws when the input does not fit.</summary>
    /// <exception cref="SchemaMismatchException">A needed column is missing or of the wrong type.</exception>
    SchemaShape GetOutputSchema(SchemaShape inputSchema);

    /// <summary>Learns from <paramref name="input"/> and returns the fitted transformer.</summary>
    TTransformer Fit(IDataView input);
}
