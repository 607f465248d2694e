namespace MlNetStem.Imaging;

/// <summary>
/// A slide read through libvips: one level for JPEG/PNG/strip TIFF, and every level of a
/// pyramidal TIFF whose reduced levels are stored as further pages. Thread-safe reads.
/// </summary>
public sealed class VipsSlide : ISlide
{
    private readonly VipsImage[] _pages;
    private readonly SlideLevel[] _levels;

    private VipsSlide(VipsImage[] pages, SlideLevel[] levels)
    {
        _pages = pages;
        _levels = levels;
    }

    /// <inheritdoc />
    public string Path => _pages[0].Path;

    /// <inheritdoc />
    public IReadOnlyList<SlideLevel> Levels => _levels;

    /// <inheritdoc />
    public double? MicronsPerPixel => _pages[0].MicronsPerPixel;

    /// <summary>Bytes the pages' decoded pixels take in memory once read (see <see cref="VipsImage.DecodedBytes"/>).</summary>
    internal long DecodedBytes => _pages.Sum(p => p.DecodedBytes);

    /// <summary>
    /// Opens an image; for a multi-page TIFF, the pages that form a pyramid under page 0
    /// (each smaller, same aspect ratio) become levels, and pages after the first that does
    /// not (label or macro images) are ignored.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="VipsException">Not an image libvips can read, or corrupt.</exception>
    /// <exception cref="NotSupportedException">Pixel format other than 8/16-bit with 1–4 bands.</exception>
    /// <exception cref="InvalidDataException">An image decoded whole into memory larger than <see cref="SlideLimits.MaxDecodedMegapixels"/> (refused before decoding).</exception>
    public static VipsSlide Open(string path)
    {
        var first = VipsImage.Open(path);
        var pages = new List<VipsImage> { first };
        var levels = new List<SlideLevel> { new(first.Width, first.Height, 1) };
        try
        {
            for (int page = 1; page < first.PageCount; page++)
            {
                var image = VipsImage.Open(path, page);
                var previous = pages[^1];
                double dx = (double)first.Width / image.Width, dy = (double)first.Height / image.Height;
                bool reduced = image.Width < previous.Width && image.Height < previous.Height;
                bool sameAspect = Math.Abs(first.Height / dx - image.Height) <= 1.5 && Math.Abs(first.Width / dy - image.Width) <= 1.5;
                if (!reduced || !sameAspect)
                {
                    image.Dispose();
                    break;
                }
                pages.Add(image);
                // The same definition OpenSlide uses, so both routes agree on level geometry.
                levels.Add(new SlideLevel(image.Width, image.Height, (dx + dy) / 2));
            }
        }
        catch
        {
            foreach (var p in pages) p.Dispose();
            throw;
        }
        return new VipsSlide([.. pages], [.. levels]);
    }

    /// <inheritdoc />
    public void ReadRgb(int level, int left, int top, int width, int height, Span<byte> rgb)
    {
        if ((uint)level >= (uint)_pages.Length)
            throw new ArgumentOutOfRangeException(nameof(level), level, $"'{Path}' has levels 0–{_pages.Length - 1}.");
        _pages[level].ReadRgb(left, top, width, height, rgb);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var page in _pages) page.Dispose();
    }
}
