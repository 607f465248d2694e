using MlNetStem.Catalogs;

namespace MlNetStem;

/// <summary>
/// The entry point of MlNetStem, like ML.NET's MLContext: holds the seed, the progress
/// sink, and the catalogs through which every component is found.
/// </summary>
public sealed class StemContext
{
    private readonly Random _seeds;
    private readonly object _gate = new();

    /// <summary>Creates a context. With a seed, every random choice downstream is reproducible.</summary>
    public StemContext(int? seed = null)
    {
        Seed = seed;
        _seeds = seed is { } s ? new Random(s) : new Random();
        Data = new DataOperationsCatalog(this);
        Transforms = new TransformsCatalog(this);
        Trainers = new TrainersCatalog(this);
        Evaluation = new EvaluationCatalog(this);
        Model = new ModelOperationsCatalog(this);
    }

    /// <summary>The master seed, if one was given.</summary>
    public int? Seed { get; }

    /// <summary>Loading, shuffling, caching and converting data views.</summary>
    public DataOperationsCatalog Data { get; }

    /// <summary>Data transforms (gene selection, normalization, patches, featurizers).</summary>
    public TransformsCatalog Transforms { get; }

    /// <summary>Trainers (ridge, MLP, Stem diffusion, ...).</summary>
    public TrainersCatalog Trainers { get; }

    /// <summary>Metrics.</summary>
    public EvaluationCatalog Evaluation { get; }

    /// <summary>Saving, loading, prediction engines, export.</summary>
    public ModelOperationsCatalog Model { get; }

    /// <summary>Where long-running steps report progress (silent by default).</summary>
    public IProgressReporter Progress { get; set; } = SilentProgressReporter.Instance;

    /// <summary>A new seed derived from the master seed, so components get independent but reproducible streams.</summary>
    public int NextSeed()
    {
        lock (_gate) return _seeds.Next();
    }
}
