using Microsoft.ML;
using MlNetStem.Data;

namespace MlNetStem.Imaging;

/// <summary>
/// Patch centres on a regular grid over the tissue of a slide, for dense prediction on
/// sections without spots (or between them).
/// </summary>
public static class TileGrid
{
    /// <summary>
    /// Centres (level-0 pixels) of a grid with spacing <paramref name="pitch"/>, the first at
    /// pitch/2, keeping those whose patch of side <paramref name="patchSize"/> is at least
    /// <paramref name="minTissueFraction"/> tissue and lying wholly inside the slide. Row-major order (y, then x).
    /// </summary>
    /// <remarks>A patch hanging over the slide's edge would be padded white: features no training spot had, and (for a
    /// model reading the neighbourhood) a bad neighbour for the tiles around it.</remarks>
    /// <exception cref="ArgumentException">Non-positive pitch or size, or a fraction outside [0, 1].</exception>
    public static IReadOnlyList<(double X, double Y)> Centres(TissueMask mask, double pitch, double patchSize, double minTissueFraction = 0.5)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (!(pitch >= 1) || !double.IsFinite(pitch)) throw new ArgumentException($"Grid pitch must be at least 1 pixel, got {pitch}.", nameof(pitch));
        if (!(patchSize > 0) || !double.IsFinite(patchSize)) throw new ArgumentException($"Patch size must be positive, got {patchSize}.", nameof(patchSize));
        if (!(minTissueFraction >= 0 && minTissueFraction <= 1))
            throw new ArgumentException($"Tissue fraction must lie in [0, 1], got {minTissueFraction}.", nameof(minTissueFraction));
        var centres = new List<(double, double)>();
        for (double y = pitch / 2; y < mask.SlideHeight; y += pitch)
        for (double x = pitch / 2; x < mask.SlideWidth; x += pitch)
            if (x >= patchSize / 2 && y >= patchSize / 2 && x + patchSize / 2 <= mask.SlideWidth && y + patchSize / 2 <= mask.SlideHeight
                && mask.TissueFraction(x, y, patchSize) >= minTissueFraction)
                centres.Add((x, y));
        return centres;
    }

    /// <summary>
    /// The centres as a spot table that LoadPatches and the featurizers accept: Barcode
    /// ("tile_{x}_{y}", rounded level-0 pixels), PixelX, PixelY and Image.
    /// </summary>
    /// <exception cref="ArgumentNullException">No slide reference.</exception>
    public static InMemoryDataView ToSpots(SlideReference slide, IReadOnlyList<(double X, double Y)> centres)
    {
        ArgumentNullException.ThrowIfNull(slide);
        ArgumentNullException.ThrowIfNull(centres);
        DataViewSchema.DetachedColumn[] columns =
        [
            SchemaColumns.Create("Barcode", ColumnTypes.Text),
            SchemaColumns.Create("PixelX", ColumnTypes.Float64),
            SchemaColumns.Create("PixelY", ColumnTypes.Float64),
            SchemaColumns.Create("Image", ColumnTypes.Image),
        ];
        return new InMemoryDataView(columns, centres.Count, new Dictionary<string, Array>
        {
            ["Barcode"] = centres.Select(c => $"tile_{Math.Round(c.X):0}_{Math.Round(c.Y):0}").ToArray(),
            ["PixelX"] = centres.Select(c => c.X).ToArray(),
            ["PixelY"] = centres.Select(c => c.Y).ToArray(),
            ["Image"] = centres.Select(_ => slide).ToArray(),
        });
    }
}
