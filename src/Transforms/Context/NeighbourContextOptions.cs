namespace MlNetStem.Transforms.Context;

/// <summary>Options of <see cref="NeighbourContextEstimator"/>.</summary>
/// <param name="OutputColumn">Context column to write (<c>[k, D]</c>, or <c>[D]</c> when pooled).</param>
/// <param name="InputColumn">Embedding column <c>[D]</c> of every spot (any featurizer).</param>
/// <param name="Neighbours">k: the spot itself and its k − 1 nearest spots of the same section (HisDiff: 9 and 49).</param>
/// <param name="Pooling">Neighbours as they are (with a mask column) or their mean.</param>
/// <param name="MaxDistanceMicrons">
/// Neighbours farther than this are padded (zeros, mask 0), so an edge spot does not take spots across the tissue as its
/// neighbourhood; null keeps the k nearest whatever their distance (the HisDiff reference).
/// </param>
/// <param name="XColumn">Spot x in pixels of the section's image.</param>
/// <param name="YColumn">Spot y in pixels.</param>
/// <param name="ImageColumn">The section's slide (gives µm/px, and the section when there is no section column).</param>
/// <param name="SectionColumn">Section name when several sections are stacked (e.g. <c>LoadSections</c>); used when present.</param>
public sealed record NeighbourContextOptions(
    string OutputColumn,
    string InputColumn,
    int Neighbours = 9,
    ContextPooling Pooling = ContextPooling.None,
    double? MaxDistanceMicrons = null,
    string XColumn = "PixelX",
    string YColumn = "PixelY",
    string ImageColumn = "Image",
    string SectionColumn = "Section")
{
    /// <summary>Name of the mask column written next to an unpooled context: <c>{OutputColumn}Mask</c>, 1 for a real neighbour, 0 for padding.</summary>
    public string MaskColumn => OutputColumn + "Mask";

    /// <summary>Checks the values once, when the estimator is built.</summary>
    /// <exception cref="ArgumentException">A name is empty, k is not in 1–1024, or the distance is not positive.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(OutputColumn);
        ArgumentException.ThrowIfNullOrWhiteSpace(InputColumn);
        ArgumentOutOfRangeException.ThrowIfLessThan(Neighbours, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Neighbours, 1024);
        if (MaxDistanceMicrons is { } d && !(d > 0 && double.IsFinite(d)))
            throw new ArgumentException($"MaxDistanceMicrons must be a positive number, got {d}.");
    }
}
