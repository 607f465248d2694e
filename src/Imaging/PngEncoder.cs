using MlNetStem.Imaging.Interop;

namespace MlNetStem.Imaging;

/// <summary>Encodes in-memory rasters as PNG with libvips (<c>pngsave_buffer</c>).</summary>
public static unsafe class PngEncoder
{
    /// <summary>The PNG bytes of <paramref name="image"/>.</summary>
    /// <exception cref="VipsException">libvips failed to encode.</exception>
    public static byte[] Encode(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        VipsLibrary.EnsureInitialized();
        IntPtr vipsImage;
        fixed (byte* data = image.Pixels)
            vipsImage = VipsNative.vips_image_new_from_memory_copy(data, (nuint)image.Pixels.Length, image.Width, image.Height, 3, 0);
        if (vipsImage == IntPtr.Zero) throw new VipsException("encode PNG", VipsLibrary.TakeError());
        try
        {
            using var save = new VipsOperation("pngsave_buffer").SetImage("in", vipsImage).Build("encode PNG");
            return save.ReadBlob("buffer");
        }
        finally
        {
            VipsNative.g_object_unref(vipsImage);
        }
    }

    /// <summary>Encodes <paramref name="image"/> and writes it to <paramref name="path"/> atomically.</summary>
    public static void Save(RgbImage image, string path) => AtomicFile.WriteAllBytes(path, Encode(image));
}
