using System.Runtime.InteropServices;
using MlNetStem.Imaging.Interop;

namespace MlNetStem.Imaging;

/// <summary>
/// An image opened through libvips (JPEG, PNG, TIFF incl. tiled/pyramidal, WebP, ...), for
/// random-access region reads. Decoded lazily; JPEG/PNG are decoded to memory on first read.
/// Safe to read from several threads.
/// </summary>
public sealed unsafe class VipsImage : SafeHandle, ISlide
{
    private const int FormatUChar = 0;
    private const int FormatUShort = 2;

    private VipsImage() : base(IntPtr.Zero, ownsHandle: true) { }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The file it was opened from.</summary>
    public string Path { get; private set; } = "";

    /// <summary>Width in pixels.</summary>
    public int Width { get; private set; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; private set; }

    /// <summary>Bands (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).</summary>
    public int Bands { get; private set; }

    /// <summary>Opens an image file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="VipsException">Not an image libvips can read, or corrupt.</exception>
    /// <exception cref="NotSupportedException">Pixel format other than 8/16-bit with 1–4 bands.</exception>
    /// <exception cref="InvalidDataException">An image decoded whole into memory (not TIFF) larger than
    /// <see cref="SlideLimits.MaxDecodedMegapixels"/>; refused from its header, before decoding.</exception>
    public static VipsImage Open(string path) => Open(path, page: 0);

    /// <summary>Opens one page of a multi-page file (page 0 is the first; TIFF pyramids keep levels in pages).</summary>
    internal static VipsImage Open(string path, int page)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(page);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Image '{path}' does not exist.", path);
        if (new FileInfo(path).Length == 0) throw new VipsException($"open '{path}'", "the file is empty");
        VipsLibrary.EnsureInitialized();

        IntPtr loader = VipsNative.vips_foreign_find_load(path);
        if (loader == IntPtr.Zero)
            throw new VipsException($"open '{path}'", "not a supported image format or corrupt: " + VipsLibrary.TakeError());
        IntPtr operation = VipsNative.vips_operation_new(loader);
        if (operation == IntPtr.Zero) throw new VipsException($"open '{path}'", VipsLibrary.TakeError());
        IntPtr built = IntPtr.Zero;
        try
        {
            byte* value = stackalloc byte[VipsNative.GValueSize];
            new Span<byte>(value, VipsNative.GValueSize).Clear();
            VipsNative.g_value_init(value, VipsNative.GTypeString);
            VipsNative.g_value_set_string(value, path);
            VipsNative.g_object_set_property(operation, "filename", value);
            VipsNative.g_value_unset(value);
            // Random access; fail on truncated data. JPEG/PNG cannot be read by region, so they are
            // decoded whole into memory (not a 276 MB temp file per slide). TIFF must not be: tiled
            // levels are read tile by tile, and memory=true would decode a 40k² level (5 GB) at once.
            string loaderName = Marshal.PtrToStringUTF8(loader) ?? "";
            bool tiff = loaderName.Contains("Tiff", StringComparison.OrdinalIgnoreCase);
            // A JPEG whose entropy data ends early (a scan cut short, then a clean end marker) only makes
            // libjpeg warn ("Corrupt JPEG data: premature end of data segment") and fill the rest grey:
            // an image that decodes to a blank must be an error, not patches of nothing.
            string failOn = loaderName.Contains("Jpeg", StringComparison.OrdinalIgnoreCase) ? "fail_on=warning" : "fail_on=truncated";
            string options = (tiff ? "access=random," : "access=random,memory=true,") + failOn
                + (page > 0 ? $",page={page}" : "");
            if (VipsNative.vips_object_set_from_string(operation, options) != 0)
                throw new VipsException($"open '{path}'", VipsLibrary.TakeError());
            // Built in place, without the (disabled) operation cache: see VipsOperation.Build.
            if (VipsNative.vips_object_build(operation) != 0)
            {
                VipsNative.vips_object_unref_outputs(operation);
                throw new VipsException($"open '{path}'", "corrupt or unreadable image: " + VipsLibrary.TakeError());
            }
            built = VipsNative.g_object_ref(operation);

            new Span<byte>(value, VipsNative.GValueSize).Clear();
            VipsNative.g_value_init(value, VipsNative.vips_image_get_type());
            VipsNative.g_object_get_property(built, "out", value);
            IntPtr image = VipsNative.g_value_get_object(value);
            if (image != IntPtr.Zero) VipsNative.g_object_ref(image);
            VipsNative.g_value_unset(value);
            if (image == IntPtr.Zero) throw new VipsException($"open '{path}'", "the loader produced no image");

            var result = new VipsImage { Path = path };
            result.SetHandle(image);
            result.Width = VipsNative.vips_image_get_width(image);
            result.Height = VipsNative.vips_image_get_height(image);
            result.Bands = VipsNative.vips_image_get_bands(image);
            int format = VipsNative.vips_image_get_format(image);
            if (format is not (FormatUChar or FormatUShort) || result.Bands is < 1 or > 4)
            {
                result.Dispose();
                throw new NotSupportedException(
                    $"Image '{path}' has {result.Bands} bands of pixel format {format}; only 8- or 16-bit images with 1–4 bands are supported.");
            }
            if (!tiff)
            {
                // Decoded whole into memory on first read: refuse a pixel bomb from its header, before any decode
                // (building the loader above read only the header).
                try
                {
                    SlideLimits.CheckDecodedSize(path, result.Width, result.Height);
                }
                catch
                {
                    result.Dispose();
                    throw;
                }
            }
            result.SixteenBit = format == FormatUShort;
            result.DecodedBytes = tiff ? 0 : (long)result.Width * result.Height * result.Bands * (result.SixteenBit ? 2 : 1);
            result.Loader = StringItem(image, "vips-loader") ?? "";
            result.PageCount = result.Loader == "tiffload" ? Math.Max(1, VipsNative.vips_image_get_n_pages(image)) : 1;
            result.MicronsPerPixel = ReadMicronsPerPixel(image, result.Loader);
            result.Levels = [new SlideLevel(result.Width, result.Height, 1)];
            return result;
        }
        finally
        {
            if (built != IntPtr.Zero)
            {
                VipsNative.vips_object_unref_outputs(built);
                VipsNative.g_object_unref(built);
            }
            VipsNative.g_object_unref(operation);
        }
    }

    private bool SixteenBit { get; set; }

    /// <summary>Bytes the decoded pixels take in memory once read (JPEG/PNG are decoded whole); 0 for TIFF, read tile by tile.</summary>
    internal long DecodedBytes { get; private set; }

    /// <summary>libvips' loader, e.g. "jpegload" or "tiffload".</summary>
    internal string Loader { get; private set; } = "";

    /// <summary>Pages in the file (TIFF only; 1 for other formats).</summary>
    internal int PageCount { get; private set; } = 1;

    /// <summary>
    /// Pixel size from the TIFF resolution tags, when the file records a unit and the value is a
    /// plausible microscope resolution; null otherwise (JPEG/PNG densities are screen dpi).
    /// </summary>
    public double? MicronsPerPixel { get; private set; }

    /// <summary>The single level: the image at full resolution.</summary>
    public IReadOnlyList<SlideLevel> Levels { get; private set; } = [];

    /// <inheritdoc />
    void ISlide.ReadRgb(int level, int left, int top, int width, int height, Span<byte> rgb)
    {
        if (level != 0) throw new ArgumentOutOfRangeException(nameof(level), level, $"'{Path}' has only level 0.");
        ReadRgb(left, top, width, height, rgb);
    }

    private static string? StringItem(IntPtr image, string name)
    {
        if (VipsNative.vips_image_get_typeof(image, name) == 0) return null;
        if (VipsNative.vips_image_get_string(image, name, out IntPtr value) != 0)
        {
            VipsLibrary.TakeError();
            return null;
        }
        return Marshal.PtrToStringUTF8(value);
    }

    private static double? ReadMicronsPerPixel(IntPtr image, string loader)
    {
        // libvips reports 1 px/mm when a file has no resolution; only TIFF with an explicit unit counts.
        if (loader != "tiffload" || VipsNative.vips_image_get_typeof(image, "resolution-unit") == 0) return null;
        double x = VipsNative.vips_image_get_xres(image), y = VipsNative.vips_image_get_yres(image);
        double pixelsPerMm = y > 0 ? (x + y) / 2 : x;
        return pixelsPerMm > 0 ? SlideResolution.Plausible(1000 / pixelsPerMm) : null;
    }

    /// <summary>
    /// Reads a rectangle as interleaved 8-bit RGB into <paramref name="rgb"/> (width × height × 3).
    /// Parts outside the image are white; alpha is composited over white; grey is replicated.
    /// </summary>
    /// <exception cref="ArgumentException">Non-positive size or a too small buffer.</exception>
    /// <exception cref="VipsException">Decoding failed (e.g. truncated file).</exception>
    public void ReadRgb(int left, int top, int width, int height, Span<byte> rgb)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Region size must be positive, got {width}×{height}.");
        if (rgb.Length < width * height * 3) throw new ArgumentException($"Buffer holds {rgb.Length} bytes, need {width * height * 3}.");
        ObjectDisposedException.ThrowIf(IsClosed, this);
        rgb[..(width * height * 3)].Fill(255);
        int x0 = Math.Max(left, 0), y0 = Math.Max(top, 0);
        int x1 = Math.Min(left + width, Width), y1 = Math.Min(top + height, Height);
        if (x1 <= x0 || y1 <= y0) return; // entirely outside: all padding

        bool added = false;
        DangerousAddRef(ref added);
        IntPtr region = IntPtr.Zero;
        IntPtr pixels = IntPtr.Zero;
        try
        {
            // One region per call: regions are not thread-safe, and creating one is cheap.
            region = VipsNative.vips_region_new(handle);
            if (region == IntPtr.Zero) throw new VipsException($"read '{Path}'", VipsLibrary.TakeError());
            int w = x1 - x0, h = y1 - y0;
            pixels = VipsNative.vips_region_fetch(region, x0, y0, w, h, out nuint length);
            int bytesPerSample = SixteenBit ? 2 : 1;
            if (pixels == IntPtr.Zero || (long)length < (long)w * h * Bands * bytesPerSample)
                throw new VipsException($"read {w}×{h} at ({x0},{y0}) of '{Path}'", DecodeFailure() is { Length: > 0 } reason ? reason : "decode failed (corrupt or truncated image?)");
            CopyToRgb(new ReadOnlySpan<byte>((void*)pixels, (int)length), w, h, rgb, width, x0 - left, y0 - top);
        }
        finally
        {
            if (pixels != IntPtr.Zero) VipsNative.g_free(pixels);
            if (region != IntPtr.Zero) VipsNative.g_object_unref(region);
            if (added) DangerousRelease();
        }
    }

    /// <summary>
    /// libvips' reason for the failed read. An image decoded whole fails once for every thread waiting on the decode, but
    /// libvips' error buffer holds the reason once: whichever thread takes it keeps it here for the others.
    /// </summary>
    private string DecodeFailure()
    {
        lock (_failureGate)
        {
            string error = VipsLibrary.TakeError().Trim();
            if (error.Length > 0) _failure = error;
            return _failure ?? "";
        }
    }

    private readonly object _failureGate = new();
    private string? _failure;

    private void CopyToRgb(ReadOnlySpan<byte> source, int w, int h, Span<byte> rgb, int stride, int dx, int dy)
    {
        int bands = Bands;
        for (int y = 0; y < h; y++)
        {
            var dst = rgb.Slice(((y + dy) * stride + dx) * 3, w * 3);
            if (!SixteenBit && bands == 3)
            {
                source.Slice(y * w * 3, w * 3).CopyTo(dst);
                continue;
            }
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * bands;
                float r = Sample(source, i), g = r, b = r, a = 255;
                if (bands >= 3) { g = Sample(source, i + 1); b = Sample(source, i + 2); }
                if (bands is 2 or 4) a = Sample(source, i + bands - 1);
                float alpha = a / 255f;
                dst[x * 3] = (byte)(r * alpha + 255 * (1 - alpha) + 0.5f);
                dst[x * 3 + 1] = (byte)(g * alpha + 255 * (1 - alpha) + 0.5f);
                dst[x * 3 + 2] = (byte)(b * alpha + 255 * (1 - alpha) + 0.5f);
            }
        }
    }

    private float Sample(ReadOnlySpan<byte> source, int index) => SixteenBit
        ? BitConverter.ToUInt16(source.Slice(index * 2, 2)) / 257f
        : source[index];

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        VipsNative.g_object_unref(handle);
        return true;
    }
}
