namespace MlNetStem.Imaging;

/// <summary>An 8-bit RGB raster held in memory, rows top to bottom, pixels interleaved R, G, B.</summary>
public sealed class RgbImage
{
    /// <summary>Wraps <paramref name="pixels"/> (width × height × 3 bytes, not copied).</summary>
    /// <exception cref="ArgumentException">A non-positive size or a buffer of the wrong length.</exception>
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (width < 1 || height < 1) throw new ArgumentException($"Image size must be positive, got {width}×{height}.");
        if (pixels.Length != (long)width * height * 3)
            throw new ArgumentException($"A {width}×{height} RGB image needs {(long)width * height * 3} bytes, got {pixels.Length}.");
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>A width × height image filled with one colour.</summary>
    public static RgbImage Filled(int width, int height, byte r, byte g, byte b)
    {
        if (width < 1 || height < 1 || (long)width * height > MaxPixels)
            throw new ArgumentException($"Image size must be 1–{MaxPixels} pixels, got {width}×{height}.");
        var pixels = new byte[width * height * 3];
        for (int i = 0; i < pixels.Length; i += 3) { pixels[i] = r; pixels[i + 1] = g; pixels[i + 2] = b; }
        return new RgbImage(width, height, pixels);
    }

    /// <summary>Largest image these helpers allocate (64 megapixels, 192 MB), a guard against absurd sizes.</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixels: width × height × 3 bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>A copy of the rectangle at (<paramref name="left"/>, <paramref name="top"/>), which must lie inside the image.</summary>
    /// <exception cref="ArgumentException">The rectangle is empty or leaves the image.</exception>
    public RgbImage Crop(int left, int top, int width, int height)
    {
        if (width < 1 || height < 1 || left < 0 || top < 0 || left + width > Width || top + height > Height)
            throw new ArgumentException($"Crop {width}×{height} at ({left},{top}) does not fit in a {Width}×{Height} image.");
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            Pixels.AsSpan(((top + y) * Width + left) * 3, width * 3).CopyTo(pixels.AsSpan(y * width * 3, width * 3));
        return new RgbImage(width, height, pixels);
    }
}
