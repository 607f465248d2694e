namespace MlNetStem.Imaging;

/// <summary>
/// A histology image with a resolution pyramid (a single level for plain JPEG/PNG), read by
/// region. Implementations are safe to read from several threads at once.
/// </summary>
public interface ISlide : IDisposable
{
    /// <summary>The file it was opened from.</summary>
    string Path { get; }

    /// <summary>Pyramid levels, finest (level 0, full resolution) first; downsamples increase.</summary>
    IReadOnlyList<SlideLevel> Levels { get; }

    /// <summary>Physical pixel size at level 0 in micrometres, when the file records it.</summary>
    double? MicronsPerPixel { get; }

    /// <summary>
    /// Reads a rectangle of level <paramref name="level"/> (in that level's pixel coordinates) as
    /// interleaved 8-bit RGB; parts outside the level are white, transparency is composited over white.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No such level.</exception>
    /// <exception cref="ArgumentException">Non-positive or too large size, or a too small buffer.</exception>
    /// <exception cref="ObjectDisposedException">The slide was disposed.</exception>
    /// <exception cref="IOException">Decoding failed (corrupt or truncated file).</exception>
    void ReadRgb(int level, int left, int top, int width, int height, Span<byte> rgb);
}
