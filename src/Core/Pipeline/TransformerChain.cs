using System.Collections;
using MlNetStem.Data;
using MlNetStem.Model;

namespace MlNetStem.Pipeline;

/// <summary>Fitted transformers applied in order; what fitting an <see cref="EstimatorChain{TLast}"/> returns.</summary>
/// <typeparam name="TLast">Type of the last transformer.</typeparam>
[ModelComponent("TransformerChain", 1)]
public sealed class TransformerChain<TLast> : ITransformer, IEnumerable<ITransformer>, IDisposable where TLast : class, ITransformer
{
    private readonly ITransformer[] _transformers;

    /// <summary>Creates a chain of already fitted transformers.</summary>
    /// <exception cref="ArgumentException">The chain is empty or the last one is not a <typeparamref name="TLast"/>.</exception>
    public TransformerChain(IEnumerable<ITransformer> transformers)
    {
        _transformers = transformers.ToArray();
        if (_transformers.Length == 0) throw new ArgumentException("A transformer chain needs at least one transformer.");
        if (_transformers[^1] is not TLast)
            throw new ArgumentException($"The last transformer is {_transformers[^1].GetType().Name}, not {typeof(TLast).Name}.");
    }

    /// <summary>The last transformer (typically the trained model).</summary>
    public TLast LastTransformer => (TLast)_transformers[^1];

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) =>
        _transformers.Aggregate(inputSchema, (s, t) => t.GetOutputSchema(s));

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        GetOutputSchema(input.Schema);
        return _transformers.Aggregate(input, (v, t) => t.Transform(v));
    }

    /// <inheritdoc />
    public void Save(ModelSaveContext context)
    {
        context.WriteJson("chain.json", new ChainManifest(_transformers.Length));
        for (int i = 0; i < _transformers.Length; i++) context.SaveChild($"{i:D2}", _transformers[i]);
    }

    /// <summary>Reads a chain written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ModelLoadContext context)
    {
        var manifest = context.ReadJson<ChainManifest>("chain.json");
        var items = Enumerable.Range(0, manifest.Count).Select(i => context.LoadChild($"{i:D2}")).ToArray();
        return new TransformerChain<ITransformer>(items);
    }

    /// <summary>Disposes the members that hold native resources (ONNX sessions, libtorch modules).</summary>
    public void Dispose()
    {
        foreach (var t in _transformers.OfType<IDisposable>()) t.Dispose();
    }

    /// <inheritdoc />
    public IEnumerator<ITransformer> GetEnumerator() => ((IEnumerable<ITransformer>)_transformers).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private sealed record ChainManifest(int Count);
}
