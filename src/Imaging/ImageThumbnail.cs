using MlNetStem.Imaging.Interop;

namespace MlNetStem.Imaging;

/// <summary>
/// Downscaled copies of whole images made by libvips' <c>thumbnail</c> operation, which shrinks on load (JPEG DCT
/// scaling, pyramid levels of TIFF and OpenSlide files) and streams the rest, so a whole slide never sits in memory.
/// </summary>
public static unsafe class ImageThumbnail
{
    /// <summary>Reads <paramref name="path"/> scaled down so its longer side is at most <paramref name="maxSide"/> pixels (never up).</summary>
    /// <returns>The thumbnail and the factor from full-resolution pixels to thumbnail pixels.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="VipsException">libvips cannot read the image.</exception>
    public static (RgbImage Image, double Scale) Read(string path, int maxSide)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSide, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSide, 8192);
        if (!File.Exists(path)) throw new FileNotFoundException($"Image '{path}' does not exist.", path);
        int fullWidth, fullHeight;
        // Through the slide opener: it reads only the header, and knows whole-slide formats libvips would refuse to decode whole.
        using (var slide = SlideOpener.Open(path)) (fullWidth, fullHeight) = (slide.Levels[0].Width, slide.Levels[0].Height);

        // size=down never enlarges; no_rotate keeps the file's pixel grid, so full-resolution coordinates times the scale
        // land on the same tissue.
        using var thumbnail = new VipsOperation("thumbnail").Set("filename", path)
            .Options($"width={maxSide},height={maxSide},size=down,no_rotate=true").Build($"thumbnail of '{path}'");
        IntPtr image = thumbnail.TakeImage("out");
        IntPtr pixels = IntPtr.Zero;
        try
        {
            int width = VipsNative.vips_image_get_width(image), height = VipsNative.vips_image_get_height(image);
            int bands = VipsNative.vips_image_get_bands(image), format = VipsNative.vips_image_get_format(image);
            if (format is not (0 or 2) || bands is < 1 or > 4)
                throw new VipsException($"thumbnail of '{path}'", $"{bands} bands of pixel format {format}; only 8- or 16-bit images with 1–4 bands are supported");
            pixels = VipsNative.vips_image_write_to_memory(image, out nuint size);
            int bytesPerSample = format == 2 ? 2 : 1;
            if (pixels == IntPtr.Zero || (long)size < (long)width * height * bands * bytesPerSample)
                throw new VipsException($"thumbnail of '{path}'", VipsLibrary.TakeError());
            var rgb = ToRgb(new ReadOnlySpan<byte>((void*)pixels, (int)size), width, height, bands, bytesPerSample);
            // The longer side sets the factor: the thumbnail was fitted to it, the other side rounded.
            double scale = fullWidth >= fullHeight ? (double)width / fullWidth : (double)height / fullHeight;
            return (new RgbImage(width, height, rgb), scale);
        }
        finally
        {
            if (pixels != IntPtr.Zero) VipsNative.g_free(pixels);
            VipsNative.g_object_unref(image);
        }
    }

    /// <summary>Interleaved RGB from grey, grey+alpha, RGB or RGBA samples; alpha over white; 16-bit samples keep their high byte.</summary>
    private static byte[] ToRgb(ReadOnlySpan<byte> source, int width, int height, int bands, int bytesPerSample)
    {
        var rgb = new byte[width * height * 3];
        for (int p = 0; p < width * height; p++)
        {
            int i = p * bands;
            int r = Sample(source, i, bytesPerSample), g = bands >= 3 ? Sample(source, i + 1, bytesPerSample) : r;
            int b = bands >= 3 ? Sample(source, i + 2, bytesPerSample) : r;
            int a = bands is 2 or 4 ? Sample(source, i + bands - 1, bytesPerSample) : 255;
            rgb[p * 3] = (byte)((r * a + 255 * (255 - a) + 127) / 255);
            rgb[p * 3 + 1] = (byte)((g * a + 255 * (255 - a) + 127) / 255);
            rgb[p * 3 + 2] = (byte)((b * a + 255 * (255 - a) + 127) / 255);
        }
        return rgb;
    }

    private static int Sample(ReadOnlySpan<byte> source, int index, int bytesPerSample) =>
        bytesPerSample == 1 ? source[index] : BitConverter.ToUInt16(source.Slice(index * 2, 2)) >> 8;
}
