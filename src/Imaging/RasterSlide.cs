namespace MlNetStem.Imaging;

/// <summary>An in-memory <see cref="RgbImage"/> seen as a one-level slide (what <see cref="NucleusDetector.Detect"/> reads).</summary>
internal sealed class RasterSlide(RgbImage image, double? micronsPerPixel) : ISlide
{
    public string Path => "(in-memory image)";

    public IReadOnlyList<SlideLevel> Levels { get; } = [new SlideLevel(image.Width, image.Height, 1)];

    public double? MicronsPerPixel => micronsPerPixel;

    public void ReadRgb(int level, int left, int top, int width, int height, Span<byte> rgb)
    {
        if (level != 0) throw new ArgumentOutOfRangeException(nameof(level), level, "An in-memory image has only level 0.");
        if (width <= 0 || height <= 0) throw new ArgumentException($"Region size must be positive, got {width}×{height}.");
        if (rgb.Length < width * height * 3) throw new ArgumentException($"Buffer holds {rgb.Length} bytes, need {width * height * 3}.");
        rgb[..(width * height * 3)].Fill(255);
        int x0 = Math.Max(left, 0), y0 = Math.Max(top, 0), x1 = Math.Min(left + width, image.Width), y1 = Math.Min(top + height, image.Height);
        for (int y = y0; y < y1 && x1 > x0; y++)
            image.Pixels.AsSpan((y * image.Width + x0) * 3, (x1 - x0) * 3).CopyTo(rgb.Slice(((y - top) * width + x0 - left) * 3));
    }

    public void Dispose() { }
}
