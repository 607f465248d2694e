using System.Globalization;

namespace MlNetStem.Imaging;

/// <summary>
/// Process-wide limits on images that are decoded whole into memory (JPEG, PNG, WebP, PPM and the
/// other formats libvips cannot read by region). Such an image is checked against
/// <see cref="MaxDecodedMegapixels"/> from its header, before a single pixel is decoded, so a small file
/// whose header claims a huge size (a "pixel bomb") is refused instead of exhausting memory. Tiled or
/// pyramidal TIFF and OpenSlide formats are read region by region and are not limited.
/// </summary>
public static class SlideLimits
{
    /// <summary>Default <see cref="MaxDecodedMegapixels"/>: 150 Mpx (about 450 MB of RGB; the bundled HER2ST images are about 92 Mpx).</summary>
    public const double DefaultMaxDecodedMegapixels = 150;

    /// <summary>
    /// Environment variable read once, on first use of <see cref="MaxDecodedMegapixels"/>, to set it: a positive number of
    /// megapixels (invariant culture, e.g. <c>400</c> or <c>1e3</c>), or <c>inf</c>/<c>none</c> for no limit.
    /// </summary>
    public const string EnvironmentVariable = "MLNETSTEM_MAX_IMAGE_MEGAPIXELS";

    private static readonly object Gate = new();
    private static double? _maxDecodedMegapixels;

    /// <summary>
    /// Most megapixels (width × height / 10⁶) an image decoded whole into memory may have; larger ones are refused with an
    /// <see cref="InvalidDataException"/> naming the file, its size and this limit. Defaults to
    /// <see cref="EnvironmentVariable"/> when set, otherwise <see cref="DefaultMaxDecodedMegapixels"/>;
    /// <see cref="double.PositiveInfinity"/> removes the limit. Setting it overrides the environment variable.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value that is not a positive number (NaN, zero, negative).</exception>
    /// <exception cref="ArgumentException">Read while <see cref="EnvironmentVariable"/> holds something other than a positive number.</exception>
    public static double MaxDecodedMegapixels
    {
        get
        {
            lock (Gate) return _maxDecodedMegapixels ??= FromEnvironment();
        }
        set
        {
            if (!(value > 0))
                throw new ArgumentOutOfRangeException(nameof(value), value, "The image size limit must be a positive number of megapixels.");
            lock (Gate) _maxDecodedMegapixels = value;
        }
    }

    /// <summary>
    /// Refuses an image of <paramref name="width"/> × <paramref name="height"/> pixels that would be decoded whole into memory
    /// when it exceeds <see cref="MaxDecodedMegapixels"/>.
    /// </summary>
    /// <param name="path">The image file, named in the message.</param>
    /// <param name="width">Width in pixels, from the header.</param>
    /// <param name="height">Height in pixels, from the header.</param>
    /// <exception cref="InvalidDataException">The image is larger than the limit.</exception>
    public static void CheckDecodedSize(string path, long width, long height)
    {
        double limit = MaxDecodedMegapixels;
        double megapixels = (double)width * height / 1e6;
        if (megapixels <= limit) return;
        double bytes = (double)width * height * 3;
        string decoded = bytes >= 1e9
            ? (bytes / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + " GB"
            : (bytes / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " MB";
        throw new InvalidDataException(
            $"image '{path}' is {width}×{height} px ({megapixels.ToString("0.###", CultureInfo.InvariantCulture)} Mpx, " +
            $"{decoded} as RGB), more than the limit of " +
            $"{limit.ToString("0.###", CultureInfo.InvariantCulture)} Mpx for images decoded whole into memory; refused before decoding. " +
            $"If the image is genuine, convert it to a tiled pyramidal TIFF (read region by region, not limited) " +
            $"or raise the limit with {EnvironmentVariable}=<megapixels>.");
    }

    private static double FromEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(text)) return DefaultMaxDecodedMegapixels;
        text = text.Trim();
        if (text.Equals("inf", StringComparison.OrdinalIgnoreCase) || text.Equals("none", StringComparison.OrdinalIgnoreCase))
            return double.PositiveInfinity;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0)
            return value;
        throw new ArgumentException(
            $"{EnvironmentVariable}='{text}' is not a positive number of megapixels (e.g. 400), nor 'inf' for no limit.");
    }
}
