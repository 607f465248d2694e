namespace MlNetStem.Imaging;

/// <summary>Sanity rules for pixel sizes read from file metadata.</summary>
internal static class SlideResolution
{
    /// <summary>
    /// Coarsest pixel size accepted from resolution tags. Files without a real calibration
    /// often carry 72 or 96 dpi (≈ 350 µm/px); treating that as a physical size would give
    /// nonsense patches, so it counts as unknown.
    /// </summary>
    public const double MaxMicronsPerPixel = 100;

    public static double? Plausible(double micronsPerPixel) =>
        double.IsFinite(micronsPerPixel) && micronsPerPixel > 0 && micronsPerPixel <= MaxMicronsPerPixel ? micronsPerPixel : null;
}
