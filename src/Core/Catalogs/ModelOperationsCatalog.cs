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
    /// Writes the last ONNX-exportable component of <paramref name="model"/> (the trainer:
    /// embedding → expression) as an ONNX file, atomically. Patch loading and featurization
    /// stay outside the file: feed it the features the pipeline computes.
    /// </summary>
    /// <exception cref="InvalidOperationException">No component of the model can be exported.</exception>
    public void ExportOnnx(ITransformer model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var exportable = (model as IEnumerable<ITransformer> ?? [model]).OfType<IOnnxExportableTransformer>().LastOrDefault()
            ?? throw new InvalidOperationException($"No component of this model can be exported to ONNX (components: " +
                $"{string.Join(", ", (model as IEnumerable<ITransformer> ?? [model]).Select(t => t.GetType().Name))}).");
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + $".{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temp, exportable.ExportOnnx());
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Predicts one row at a time from plain C# objects. <paramref name="inputSchema"/> (as
    /// returned by <see cref="Load"/>) supplies slot names such as gene symbols.
    /// </summary>
    public PredictionEngine<TSource, TResult> CreatePredictionEngine<TSource, TResult>(ITransformer model, DataViewSchema? inputSchema = null)
        where TSource : class where TResult : class, new() =>
        new(model, inputSchema);
}
