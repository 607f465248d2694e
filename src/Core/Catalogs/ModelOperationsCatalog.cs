using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Catalogs;

/// <summary>Saving, loading and using fitted models.</summary>
public sealed class ModelOperationsCatalog(StemContext context) : CatalogBase(context)
{
    /// <summary>Saves a fitted model (atomically) with the schema of the data it expects.</summary>
    public void Save(ITransformer model, DataViewSchema? inputSchema, string path) =>
        ModelArchive.Save(model, inputSchema, path);

    /// <summary>Loads a model saved with <see cref="Save"/>.</summary>
    /// <exception cref="ModelFormatException">Corrupt, truncated, unknown or newer archive.</exception>
    public ITransformer Load(string path, out DataViewSchema? inputSchema) => ModelArchive.Load(path, out inputSchema);

    /// <summary>
    /// Predicts one row at a time from plain C# objects. <paramref name="inputSchema"/> (as
    /// returned by <see cref="Load"/>) supplies slot names such as gene symbols.
    /// </summary>
    public PredictionEngine<TSource, TResult> CreatePredictionEngine<TSource, TResult>(ITransformer model, DataViewSchema? inputSchema = null)
        where TSource : class where TResult : class, new() =>
        new(model, inputSchema);
}
