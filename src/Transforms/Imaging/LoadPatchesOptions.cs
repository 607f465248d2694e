namespace MlNetStem.Transforms.Imaging;

/// <summary>Options of <see cref="LoadPatchesEstimator"/>.</summary>
/// <param name="OutputColumn">Patch column to write: float RGB CHW in [0, 1].</param>
/// <param name="ImageColumn">Image reference column.</param>
/// <param name="XColumn">Spot centre x (full-resolution pixels).</param>
/// <param name="YColumn">Spot centre y (full-resolution pixels).</param>
/// <param name="SizeMicrons">Physical side of the patch (HEST uses 112 µm).</param>
/// <param name="SizePixels">Side of the output patch in pixels.</param>
/// <param name="MicronsPerPixel">Overrides the pixel size; needed when neither the image reference nor the file (slide metadata, TIFF resolution) records one.</param>
public sealed record LoadPatchesOptions(
    string OutputColumn = "Patch",
    string ImageColumn = "Image",
    string XColumn = "PixelX",
    string YColumn = "PixelY",
    double SizeMicrons = 112,
    int SizePixels = 224,
    double? MicronsPerPixel = null)
{
    /// <summary>Checks the values once, when the estimator is built.</summary>
    /// <exception cref="ArgumentException">Non-positive or non-finite sizes.</exception>
    public void Validate()
    {
        if (!(SizeMicrons > 0) || !double.IsFinite(SizeMicrons)) throw new ArgumentException($"Patch size must be a positive number of micrometres, got {SizeMicrons}.");
        if (SizePixels is < 8 or > 4096) throw new ArgumentException($"Patch size must be 8–4096 pixels, got {SizePixels}.");
        if (MicronsPerPixel is { } m && (!(m > 0) || !double.IsFinite(m))) throw new ArgumentException($"Microns per pixel must be positive, got {m}.");
    }
}
