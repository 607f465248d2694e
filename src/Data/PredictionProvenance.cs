using System.Reflection;

namespace MlNetStem.Data;

/// <summary>Where predictions came from; written to <c>uns["mlnetstem"]</c> of a prediction .h5ad.</summary>
/// <param name="ModelPath">The model archive used.</param>
public sealed record PredictionProvenance(string ModelPath)
{
    /// <summary>When the predictions were made (UTC).</summary>
    public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;

    /// <summary>The MlNetStem version that made them.</summary>
    public string Version { get; init; } = CurrentVersion;

    /// <summary>The input section (folder or file), when known.</summary>
    public string? Input { get; init; }

    /// <summary>Pixel size of the section's image (the coordinates in obsm["spatial"]), written as a number; null when unknown.</summary>
    public double? MicronsPerPixel { get; init; }

    /// <summary>True when the predictions (not their std) were clipped at 0 before writing; recorded in uns.</summary>
    public bool ClippedAtZero { get; init; }

    /// <summary>Further key/value pairs to record (e.g. featurizer, sampler settings).</summary>
    public IReadOnlyDictionary<string, string>? Extra { get; init; }

    /// <summary>The informational version of this build.</summary>
    public static string CurrentVersion { get; } =
        typeof(PredictionProvenance).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
