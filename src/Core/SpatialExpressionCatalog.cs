using System.Runtime.CompilerServices;
using MlNetStem.Evaluation;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem;

/// <summary>
/// MlNetStem's entry point on an <see cref="MLContext"/>: <c>ml.SpatialExpression()</c>. It holds the
/// expression trainers (<see cref="Trainers"/>, extended by MlNetStem.Trainers), evaluation, the model archive
/// and ONNX export, and the progress reporter and seed sequence shared by MlNetStem components on that context.
/// Transforms are on <c>ml.Transforms</c> and section loaders on <c>ml.Data</c>, like ML.NET's own packages.
/// </summary>
public sealed class SpatialExpressionCatalog
{
    private static readonly ConditionalWeakTable<MLContext, SpatialExpressionCatalog> Catalogs = new();
    private readonly object _gate = new();
    private Random _seeds;

    private SpatialExpressionCatalog(MLContext context)
    {
        Context = context;
        // Seeded from the context's own seed (new MLContext(seed: 1)), so MlNetStem's trainers are reproducible exactly
        // when ML.NET's components are.
        _seeds = new Random(((Microsoft.ML.Runtime.IHostEnvironment)context).Register("MlNetStem").Rand.Next());
        Trainers = new SpatialTrainersCatalog(this);
    }

    /// <summary>The catalog of <paramref name="context"/> (one per context).</summary>
    public static SpatialExpressionCatalog For(MLContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Catalogs.GetValue(context, c => new SpatialExpressionCatalog(c));
    }

    /// <summary>The ML.NET context this catalog belongs to.</summary>
    public MLContext Context { get; }

    /// <summary>Expression trainers (ridge, MLP, Stem diffusion), added by MlNetStem.Trainers as extension methods.</summary>
    public SpatialTrainersCatalog Trainers { get; }

    /// <summary>Where long steps (featurization, training, sampling) report progress; silent by default.</summary>
    public IProgressReporter Progress { get; set; } = SilentProgressReporter.Instance;

    /// <summary>
    /// Restarts the seed sequence that trainers draw from when no seed is given. Without it the sequence starts from the
    /// context's seed (<c>new MLContext(seed)</c>; random when the context has none).
    /// </summary>
    public int Seed
    {
        set
        {
            lock (_gate) _seeds = new Random(value);
        }
    }

    /// <summary>The next seed of this context's sequence.</summary>
    public int NextSeed()
    {
        lock (_gate) return _seeds.Next();
    }

    /// <summary>Per-gene Pearson, PCC-k, MSE, MAE and RVD of <paramref name="score"/> against <paramref name="label"/>.</summary>
    /// <exception cref="Data.SchemaMismatchException">A column is missing or they differ in size or genes.</exception>
    public ExpressionMetrics Evaluate(IDataView data, string label = "Expression", string score = "Score") =>
        ExpressionEvaluator.Evaluate(data, label, score);

    /// <summary>Writes <paramref name="model"/> to an MlNetStem model archive (atomic, versioned per component).</summary>
    /// <param name="model">The fitted pipeline.</param>
    /// <param name="inputSchema">Schema of the data it expects.</param>
    /// <param name="path">Destination .zip.</param>
    /// <param name="training">What it was trained on (shown by <c>mlnetstem inspect</c>), or null.</param>
    public void SaveModel(ITransformer model, DataViewSchema? inputSchema, string path, TrainingDataSummary? training = null) =>
        ModelArchive.Save(model, inputSchema, path, training);

    /// <summary>Reads a model written by <see cref="SaveModel"/>.</summary>
    /// <exception cref="ModelFormatException">Not a model archive, truncated, unknown component or newer format.</exception>
    public ITransformer LoadModel(string path, out DataViewSchema? inputSchema) => ModelArchive.Load(path, out inputSchema);

    /// <summary>
    /// Writes the last ONNX-exportable component of <paramref name="model"/> (the trainer: features → expression)
    /// to <paramref name="path"/> atomically, for ONNX Runtime or ML.NET's <c>ApplyOnnxModel</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No component of the model can be exported.</exception>
    public void ExportOnnx(ITransformer model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var parts = model as IEnumerable<ITransformer> ?? [model];
        var exportable = parts.OfType<IOnnxExportableTransformer>().LastOrDefault()
            ?? throw new InvalidOperationException($"No component of this model can be exported to ONNX (components: " +
                $"{string.Join(", ", parts.Select(t => t.GetType().Name))}).");
        AtomicFile.WriteAllBytes(path, exportable.ExportOnnx());
    }
}
