namespace MlNetStem.Imaging;

/// <summary>Opens any supported image or whole-slide file with the reader that suits it.</summary>
public static class SlideOpener
{
    /// <summary>
    /// Opens <paramref name="path"/>: through OpenSlide when it recognises the format (SVS,
    /// NDPI, MRXS, tiled TIFF, ...), otherwise through libvips (JPEG, PNG, PPM, strip TIFF, ...).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">Unsupported or corrupt file (<see cref="OpenSlideException"/> or <see cref="VipsException"/>, naming the file).</exception>
    /// <exception cref="NotSupportedException">A pixel format the vips route does not handle.</exception>
    public static ISlide Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Slide '{path}' does not exist.", path);
        return OpenSlideSlide.DetectVendor(path) is not null ? OpenSlideSlide.Open(path) : VipsSlide.Open(path);
    }
}
