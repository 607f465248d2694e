namespace MlNetStem.Imaging;

/// <summary>
/// Square image crops centred on nuclei, as ST-AnD feeds its nucleus encoder: by default 28 × 28 px at 0.5 µm/px
/// (14 µm), RGB channel-first, values scaled from [0, 1] to [-0.5, 0.5]. Read with <see cref="PatchSampler"/> (outside
/// the image is white, i.e. 0.5).
/// </summary>
public static class NucleusCrops
{
    /// <summary>Side of a crop in pixels in ST-AnD (28).</summary>
    public const int DefaultPixels = 28;

    /// <summary>Side of a crop in micrometres in ST-AnD (14: 28 px at 0.5 µm/px).</summary>
    public const double DefaultMicrons = 14;

    /// <summary>Floats of one crop of side <paramref name="pixels"/>: 3 · pixels².</summary>
    public static int Length(int pixels) => 3 * pixels * pixels;

    /// <summary>Reads the crop around (<paramref name="x"/>, <paramref name="y"/>) into <paramref name="destination"/>.</summary>
    /// <param name="slide">The slide.</param>
    /// <param name="micronsPerPixel">Level-0 pixel size of the slide.</param>
    /// <param name="x">Nucleus centroid x in level-0 pixels.</param>
    /// <param name="y">Nucleus centroid y in level-0 pixels.</param>
    /// <param name="microns">Side of the crop in micrometres.</param>
    /// <param name="pixels">Side of the crop in pixels.</param>
    /// <param name="destination">3 · pixels² floats, CHW.</param>
    /// <exception cref="ArgumentException">Non-positive sizes, a non-finite centre or a destination of the wrong length.</exception>
    /// <exception cref="IOException">The slide could not be decoded.</exception>
    public static void Read(ISlide slide, double micronsPerPixel, double x, double y, double microns, int pixels, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(slide);
        if (!(micronsPerPixel > 0) || !double.IsFinite(micronsPerPixel))
            throw new ArgumentException($"Microns per pixel must be positive, got {micronsPerPixel}.", nameof(micronsPerPixel));
        if (!(microns > 0) || !double.IsFinite(microns)) throw new ArgumentException($"Crop side must be positive, got {microns} µm.", nameof(microns));
        PatchSampler.Read(slide, x, y, microns / micronsPerPixel, pixels, destination);
        for (int i = 0; i < destination.Length; i++) destination[i] -= 0.5f;
    }
}
