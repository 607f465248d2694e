using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using MlNetStem.Imaging.Interop;

namespace MlNetStem.Imaging;

/// <summary>
/// A whole-slide image read through OpenSlide (Aperio SVS, Hamamatsu NDPI, MIRAX MRXS, tiled
/// pyramidal TIFF, ...). Reads are thread-safe: OpenSlide serialises what it must internally.
/// </summary>
public sealed unsafe class OpenSlideSlide : ISlide
{
    /// <summary>Largest region one read may ask for (pixels), to keep the ARGB buffer bounded.</summary>
    public const int MaxRegionPixels = 64 * 1024 * 1024;

    private readonly OpenSlideHandle _handle;
    private readonly SlideLevel[] _levels;

    private OpenSlideSlide(string path, OpenSlideHandle handle, SlideLevel[] levels, double? mpp, string vendor)
    {
        Path = path;
        _handle = handle;
        _levels = levels;
        MicronsPerPixel = mpp;
        Vendor = vendor;
    }

    /// <inheritdoc />
    public string Path { get; }

    /// <summary>OpenSlide's name for the format, e.g. "aperio" or "generic-tiff".</summary>
    public string Vendor { get; }

    /// <inheritdoc />
    public IReadOnlyList<SlideLevel> Levels => _levels;

    /// <inheritdoc />
    public double? MicronsPerPixel { get; }

    /// <summary>
    /// The format OpenSlide recognises in the file, or null when it does not (plain JPEG/PNG,
    /// strip TIFF, missing file, or no OpenSlide installed).
    /// </summary>
    public static string? DetectVendor(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path) || !OpenSlideLibrary.IsAvailable) return null;
        return Marshal.PtrToStringUTF8(OpenSlideNative.openslide_detect_vendor(path));
    }

    /// <summary>Opens a slide.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OpenSlideException">OpenSlide does not recognise the file, or it is corrupt.</exception>
    /// <exception cref="DllNotFoundException">OpenSlide is not installed (run scripts/setup.sh).</exception>
    public static OpenSlideSlide Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Slide '{path}' does not exist.", path);
        OpenSlideLibrary.EnsureLoaded();
        string operation = $"open '{path}'";
        IntPtr osr = OpenSlideNative.openslide_open(path);
        if (osr == IntPtr.Zero) throw new OpenSlideException(operation, "not a slide format OpenSlide recognises");
        var handle = new OpenSlideHandle(osr);
        try
        {
            if (Marshal.PtrToStringUTF8(OpenSlideNative.openslide_get_error(osr)) is { } error)
                throw new OpenSlideException(operation, error);
            int count = OpenSlideNative.openslide_get_level_count(osr);
            if (count < 1) throw new OpenSlideException(operation, "the slide has no levels");
            var levels = new SlideLevel[count];
            for (int i = 0; i < count; i++)
            {
                OpenSlideNative.openslide_get_level_dimensions(osr, i, out long w, out long h);
                double downsample = OpenSlideNative.openslide_get_level_downsample(osr, i);
                if (w <= 0 || h <= 0 || w > int.MaxValue || h > int.MaxValue || !(downsample >= 1))
                    throw new OpenSlideException(operation, $"level {i} has an unusable size {w}×{h} (downsample {downsample})");
                levels[i] = new SlideLevel((int)w, (int)h, downsample);
            }
            string vendor = Property(osr, "openslide.vendor") ?? "unknown";
            return new OpenSlideSlide(path, handle, levels, ReadMicronsPerPixel(osr), vendor);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A slide property (e.g. "openslide.mpp-x", "aperio.AppMag"), or null when absent.</summary>
    /// <exception cref="ObjectDisposedException">The slide was disposed.</exception>
    public string? GetProperty(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try { return Property(_handle.DangerousGetHandle(), name); }
        finally { if (added) _handle.DangerousRelease(); }
    }

    /// <summary>
    /// OpenSlide's own choice of level for a downsample (it may pick a coarser level than
    /// <see cref="PatchSampler.SelectLevel(IReadOnlyList{SlideLevel}, double)"/>, which never upsamples).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The downsample is not a positive number.</exception>
    public int BestLevelForDownsample(double downsample)
    {
        if (!(downsample > 0) || !double.IsFinite(downsample))
            throw new ArgumentOutOfRangeException(nameof(downsample), downsample, "Downsample must be a positive number.");
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try { return OpenSlideNative.openslide_get_best_level_for_downsample(_handle.DangerousGetHandle(), downsample); }
        finally { if (added) _handle.DangerousRelease(); }
    }

    /// <inheritdoc />
    public void ReadRgb(int level, int left, int top, int width, int height, Span<byte> rgb)
    {
        if ((uint)level >= (uint)_levels.Length)
            throw new ArgumentOutOfRangeException(nameof(level), level, $"The slide has levels 0–{_levels.Length - 1}.");
        if (width <= 0 || height <= 0) throw new ArgumentException($"Region size must be positive, got {width}×{height}.");
        if ((long)width * height > MaxRegionPixels) throw new ArgumentException($"Region {width}×{height} exceeds {MaxRegionPixels} pixels; read it in tiles.");
        if (rgb.Length < width * height * 3) throw new ArgumentException($"Buffer holds {rgb.Length} bytes, need {width * height * 3}.");
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var info = _levels[level];
        rgb[..(width * height * 3)].Fill(255);
        int x0 = Math.Max(left, 0), y0 = Math.Max(top, 0);
        int x1 = (int)Math.Min((long)left + width, info.Width), y1 = (int)Math.Min((long)top + height, info.Height);
        if (x1 <= x0 || y1 <= y0) return; // entirely outside: all padding
        int w = x1 - x0, h = y1 - y0;

        uint[] argb = ArrayPool<uint>.Shared.Rent(w * h);
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            IntPtr osr = _handle.DangerousGetHandle();
            // read_region takes level-0 coordinates for the origin and level pixels for the size.
            long originX = (long)Math.Round(x0 * info.Downsample), originY = (long)Math.Round(y0 * info.Downsample);
            fixed (uint* destination = argb)
                OpenSlideNative.openslide_read_region(osr, destination, originX, originY, level, w, h);
            if (Marshal.PtrToStringUTF8(OpenSlideNative.openslide_get_error(osr)) is { } error)
                throw new OpenSlideException($"read {w}×{h} at ({x0},{y0}) of level {level} of '{Path}'", error);
            CompositeOverWhite(argb.AsSpan(0, w * h), w, h, rgb, width, x0 - left, y0 - top);
        }
        finally
        {
            if (added) _handle.DangerousRelease();
            ArrayPool<uint>.Shared.Return(argb);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    /// <summary>
    /// Premultiplied ARGB over white: un-premultiplying (c·255/a) and blending over white
    /// (c·a/255 + 255 − a) cancel to c + 255 − a, exactly and without division.
    /// </summary>
    private static void CompositeOverWhite(ReadOnlySpan<uint> argb, int w, int h, Span<byte> rgb, int stride, int dx, int dy)
    {
        for (int y = 0; y < h; y++)
        {
            var source = argb.Slice(y * w, w);
            var destination = rgb.Slice(((y + dy) * stride + dx) * 3, w * 3);
            for (int x = 0; x < w; x++)
            {
                uint p = source[x];
                uint background = 255 - (p >> 24);
                destination[x * 3] = (byte)Math.Min(255u, ((p >> 16) & 0xFF) + background);
                destination[x * 3 + 1] = (byte)Math.Min(255u, ((p >> 8) & 0xFF) + background);
                destination[x * 3 + 2] = (byte)Math.Min(255u, (p & 0xFF) + background);
            }
        }
    }

    private static string? Property(IntPtr osr, string name) =>
        Marshal.PtrToStringUTF8(OpenSlideNative.openslide_get_property_value(osr, name));

    /// <summary>
    /// openslide.mpp-x/y where the vendor records them; OpenSlide 3.4 leaves them unset for
    /// generic TIFF, so fall back to the TIFF resolution tags (per centimetre or inch).
    /// </summary>
    private static double? ReadMicronsPerPixel(IntPtr osr)
    {
        double? x = Number(Property(osr, "openslide.mpp-x")), y = Number(Property(osr, "openslide.mpp-y"));
        if (x is > 0 && y is > 0) return (x.Value + y.Value) / 2;
        if (x is > 0) return x;
        double? resolution = Number(Property(osr, "tiff.XResolution"));
        double? micronsPerUnit = Property(osr, "tiff.ResolutionUnit") switch
        {
            "centimeter" => 10_000,
            "inch" => 25_400,
            _ => null,
        };
        if (resolution is not > 0 || micronsPerUnit is null) return null;
        return SlideResolution.Plausible(micronsPerUnit.Value / resolution.Value);
    }

    private static double? Number(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) ? value : null;
}
