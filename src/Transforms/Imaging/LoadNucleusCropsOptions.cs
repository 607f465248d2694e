using MlNetStem.Imaging;

namespace MlNetStem.Transforms.Imaging;

/// <summary>Options of <see cref="LoadNucleusCropsEstimator"/>.</summary>
/// <param name="OutputColumn">Column to write: <c>[MaxNuclei, 3, CropPixels, CropPixels]</c> floats in [-0.5, 0.5], one crop per
/// row of <paramref name="NucleiColumn"/>, zeros for padding rows.</param>
/// <param name="NucleiColumn">The <c>[MaxNuclei, F]</c> table of <see cref="DetectNucleiTransformer"/> (centroid x, y first).</param>
/// <param name="MaskColumn">Its <c>[MaxNuclei]</c> mask (1 for a nucleus, 0 for padding).</param>
/// <param name="ImageColumn">Image reference column.</param>
/// <param name="CropMicrons">Side of a crop in micrometres (ST-AnD: 14).</param>
/// <param name="CropPixels">Side of a crop in pixels (ST-AnD: 28, so 0.5 µm/px).</param>
/// <param name="MicronsPerPixel">Overrides the pixel size of the image reference and the file.</param>
public sealed record LoadNucleusCropsOptions(
    string OutputColumn = "NucleusCrops",
    string NucleiColumn = "Nuclei",
    string MaskColumn = "NucleusMask",
    string ImageColumn = "Image",
    double CropMicrons = NucleusCrops.DefaultMicrons,
    int CropPixels = NucleusCrops.DefaultPixels,
    double? MicronsPerPixel = null)
{
    /// <summary>Checks the values once, when the estimator is built.</summary>
    /// <exception cref="ArgumentException">Out-of-range sizes or empty column names.</exception>
    public void Validate()
    {
        foreach (var name in new[] { OutputColumn, NucleiColumn, MaskColumn, ImageColumn }) ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!(CropMicrons > 0) || !double.IsFinite(CropMicrons)) throw new ArgumentException($"Crop side must be a positive number of micrometres, got {CropMicrons}.");
        if (CropPixels is < 4 or > 256) throw new ArgumentException($"Crop side must be 4–256 pixels, got {CropPixels}.");
        if (MicronsPerPixel is { } m && (!(m > 0) || !double.IsFinite(m))) throw new ArgumentException($"Microns per pixel must be positive, got {m}.");
    }
}
