using MlNetStem.Data;

namespace MlNetStem.Pipeline;

/// <summary>
/// Runs a fitted model on one object at a time (e.g. one spot in a lab application).
/// Output properties are filled from same-named columns. Not thread-safe; create one per thread.
/// </summary>
/// <typeparam name="TSource">Input class: one property per input column.</typeparam>
/// <typeparam name="TResult">Output class: properties named after output columns (e.g. <c>float[] Score</c>).</typeparam>
public sealed class PredictionEngine<TSource, TResult> where TSource : class where TResult : class, new()
{
    private readonly ITransformer _model;
    private readonly DataViewSchema? _inputSchema;
    private readonly ClassSchema _source = ClassSchema.For<TSource>();
    private readonly ClassSchema _result = ClassSchema.For<TResult>();

    /// <summary>Creates the engine; prefer <c>ctx.Model.CreatePredictionEngine</c>.</summary>
    public PredictionEngine(ITransformer model, DataViewSchema? inputSchema)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _inputSchema = inputSchema;
    }

    /// <summary>Predicts for one input object.</summary>
    /// <exception cref="SchemaMismatchException">The input class does not provide what the model needs.</exception>
    public TResult Predict(TSource example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var view = _source.ToDataView([example], _inputSchema);
        return _result.FromDataView<TResult>(_model.Transform(view)).Single();
    }
}
