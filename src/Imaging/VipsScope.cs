using System.Globalization;
using MlNetStem.Imaging.Interop;

namespace MlNetStem.Imaging;

/// <summary>
/// A disposal scope for a chain of libvips operations on in-memory images: every image made in the scope is released
/// when it ends, so a failed step leaks nothing. Images are pipelines until <see cref="ToBytes"/> renders one.
/// Not thread-safe; one scope per worker (the images themselves may be shared by libvips' own threads).
/// </summary>
internal sealed unsafe class VipsScope : IDisposable
{
    private readonly List<IntPtr> _images = [];

    public VipsScope() => VipsLibrary.EnsureInitialized();

    /// <summary>An 8-bit image holding a copy of <paramref name="pixels"/> (interleaved bands).</summary>
    /// <exception cref="ArgumentException">The buffer does not hold width × height × bands bytes.</exception>
    public IntPtr FromBytes(ReadOnlySpan<byte> pixels, int width, int height, int bands)
    {
        if (width < 1 || height < 1 || bands < 1 || pixels.Length != (long)width * height * bands)
            throw new ArgumentException($"A {width}×{height} image of {bands} bands needs {(long)width * height * bands} bytes, got {pixels.Length}.");
        IntPtr image;
        fixed (byte* data = pixels)
            image = VipsNative.vips_image_new_from_memory_copy(data, (nuint)pixels.Length, width, height, bands, 0);
        if (image == IntPtr.Zero) throw new VipsException("image from memory", VipsLibrary.TakeError());
        return Track(image);
    }

    /// <summary>A one-band double matrix image (recomb matrices, lookup tables, morphology masks), row-major.</summary>
    public IntPtr Matrix(int width, int height, ReadOnlySpan<double> values)
    {
        if (width < 1 || height < 1 || values.Length != width * height)
            throw new ArgumentException($"A {width}×{height} matrix needs {width * height} values, got {values.Length}.");
        IntPtr image;
        fixed (double* data = values)
            image = VipsNative.vips_image_new_matrix_from_array(width, height, data, values.Length);
        if (image == IntPtr.Zero) throw new VipsException("matrix image", VipsLibrary.TakeError());
        return Track(image);
    }

    /// <summary>
    /// Runs operation <paramref name="name"/> on <paramref name="input"/> ("in", or "left" with <paramref name="images"/>
    /// giving "right"), with further image arguments and options in libvips' text form (e.g. "sigma=1.5").
    /// </summary>
    /// <returns>The "out" image, owned by this scope.</returns>
    /// <exception cref="VipsException">libvips refused or failed; the message names the operation.</exception>
    public IntPtr Run(string name, IntPtr input, string? options = null, params (string Property, IntPtr Image)[] images) =>
        Run(name, "in", input, options, images);

    /// <summary>As <see cref="Run(string, IntPtr, string?, ValueTuple{string, IntPtr}[])"/> with the main image under <paramref name="inputProperty"/>.</summary>
    public IntPtr Run(string name, string inputProperty, IntPtr input, string? options, params (string Property, IntPtr Image)[] images)
    {
        using var operation = new VipsOperation(name).SetImage(inputProperty, input);
        foreach (var (property, image) in images) operation.SetImage(property, image);
        if (!string.IsNullOrEmpty(options)) operation.Options(options);
        operation.Build(name);
        return Track(operation.TakeImage("out"));
    }

    /// <summary>Runs operation <paramref name="name"/> on the "in" image and returns its <paramref name="output"/> image (e.g. labelregions' "mask").</summary>
    public IntPtr RunTo(string name, IntPtr input, string output)
    {
        using var operation = new VipsOperation(name).SetImage("in", input).Build(name);
        return Track(operation.TakeImage(output));
    }

    /// <summary>Renders <paramref name="image"/> and copies its pixels (band-interleaved, native sample type) to managed memory.</summary>
    /// <exception cref="VipsException">Rendering failed.</exception>
    public byte[] ToBytes(IntPtr image, string what)
    {
        IntPtr pixels = VipsNative.vips_image_write_to_memory(image, out nuint size);
        if (pixels == IntPtr.Zero) throw new VipsException(what, VipsLibrary.TakeError());
        try
        {
            return new ReadOnlySpan<byte>((void*)pixels, checked((int)size)).ToArray();
        }
        finally
        {
            VipsNative.g_free(pixels);
        }
    }

    /// <summary>Width, height and bands of an image of this scope.</summary>
    public static (int Width, int Height, int Bands) SizeOf(IntPtr image) =>
        (VipsNative.vips_image_get_width(image), VipsNative.vips_image_get_height(image), VipsNative.vips_image_get_bands(image));

    /// <summary>A number in libvips' option syntax (invariant culture, round-trip precision).</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private IntPtr Track(IntPtr image)
    {
        _images.Add(image);
        return image;
    }

    public void Dispose()
    {
        // Later images hold references to earlier ones; releasing in reverse keeps each release the last.
        for (int i = _images.Count - 1; i >= 0; i--) VipsNative.g_object_unref(_images[i]);
        _images.Clear();
    }
}
