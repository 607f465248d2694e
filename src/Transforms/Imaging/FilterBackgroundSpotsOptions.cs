namespace MlNetStem.Transforms.Imaging;

/// <summary>Options of <see cref="FilterBackgroundSpotsEstimator"/>.</summary>
/// <param name="ImageColumn">Image reference column.</param>
/// <param name="XColumn">Spot centre x (level-0 pixels).</param>
/// <param name="YColumn">Spot centre y (level-0 pixels).</param>
/// <param name="SizeMicrons">Side of the patch whose tissue content is judged (as in LoadPatches).</param>
/// <param name="MinTissueFraction">Spots whose patch has less tissue than this are dropped.</param>
/// <param name="MicronsPerPixel">Overrides the pixel size of the image reference and the file.</param>
/// <param name="SaturationThreshold">Fixed tissue saturation threshold in (0, 1); null for Otsu's per slide.</param>
public sealed record FilterBackgroundSpotsOptions(
    string ImageColumn = "Image",
    string XColumn = "PixelX",
    string YColumn = "PixelY",
    double SizeMicrons = 112,
    double MinTissueFraction = 0.5,
    double? MicronsPerPixel = null,
    double? SaturationThreshold = null)
{
    /// <summary>Checks the values once, when the estimator is built.</summary>
    /// <exception cref="ArgumentException">Out-of-range values.</exception>
    public void Validate()
    {
        if (!(SizeMicrons > 0) || !double.IsFinite(SizeMicrons)) throw new ArgumentException($"Patch size must be a positive number of micrometres, got {SizeMicrons}.");
        if (!(MinTissueFraction is >= 0 and <= 1)) throw new ArgumentException($"Minimum tissue fraction must lie in [0, 1], got {MinTissueFraction}.");
        if (MicronsPerPixel is { } m && (!(m > 0) || !double.IsFinite(m))) throw new ArgumentException($"Microns per pixel must be positive, got {m}.");
        if (SaturationThreshold is { } t && !(t > 0 && t < 1)) throw new ArgumentException($"Saturation threshold must lie in (0, 1), got {t}.");
    }
}
