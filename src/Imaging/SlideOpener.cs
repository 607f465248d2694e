namespace MlNetStem.Imaging;

/// <summary>Opens any supported image or whole-slide file with the reader that suits it.</summary>
public static class SlideOpener
{
    /// <summary>OpenSlide's vendor name for plain tiled TIFF, which libvips reads faster.</summary>
    public const string GenericTiffVendor = "generic-tiff";

    /// <summary>
    /// Opens <paramref name="path"/>. With <see cref="SlideReader.Auto"/>: through OpenSlide when
    /// it recognises a vendor format (SVS, NDPI, MRXS, ...), otherwise through libvips (JPEG, PNG,
    /// PPM, strip TIFF, and tiled pyramidal TIFF, whose pages become the levels).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">Unsupported or corrupt file (<see cref="OpenSlideException"/> or <see cref="VipsException"/>, naming the file).</exception>
    /// <exception cref="NotSupportedException">A pixel format the libvips route does not handle.</exception>
    /// <exception cref="InvalidDataException">An image decoded whole into memory larger than <see cref="SlideLimits.MaxDecodedMegapixels"/> (refused before decoding).</exception>
    /// <exception cref="DllNotFoundException"><see cref="SlideReader.OpenSlide"/> was asked for and OpenSlide is not installed.</exception>
    public static ISlide Open(string path, SlideReader reader = SlideReader.Auto)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Slide '{path}' does not exist.", path);
        return reader switch
        {
            SlideReader.OpenSlide => OpenSlideSlide.Open(path),
            SlideReader.Vips => VipsSlide.Open(path),
            SlideReader.Auto => OpenSlideSlide.DetectVendor(path) is { } vendor && vendor != GenericTiffVendor
                ? OpenSlideSlide.Open(path)
                : VipsSlide.Open(path),
            _ => throw new ArgumentOutOfRangeException(nameof(reader), reader, "Unknown slide reader."),
        };
    }
}
