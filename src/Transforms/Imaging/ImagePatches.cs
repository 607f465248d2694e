using Microsoft.ML.Transforms.Image;
using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>
/// Lets ML.NET's image columns (<see cref="MLImage"/> values from ImageAnalytics' <c>LoadImages</c>/<c>ResizeImages</c>)
/// stand where MlNetStem expects a patch: an image column of known size H×W reads as a float patch [3, H, W], RGB in [0, 1],
/// exactly as LoadPatches writes one.
/// </summary>
public static class ImagePatches
{
    static ImagePatches() =>
        // ML.NET's image getters dispose an image when the cursor moves on; batches keep copies.
        BatchValueCopiers.Register<MLImage>(image => MLImage.CreateFromPixels(image.Width, image.Height, image.PixelFormat, image.Pixels));

    /// <summary>Makes sure MLImage values can be held in batches (called by the components that read them).</summary>
    public static void EnsureRegistered() { }

    /// <summary>True for an ML.NET image column type.</summary>
    public static bool IsImage(DataViewType type) => type is ImageDataViewType;

    /// <summary>True for the shape of an ML.NET image column.</summary>
    public static bool IsImage(SchemaShape.Column column) => column.ItemType is ImageDataViewType;

    /// <summary>The patch type an input column stands for: [3, H, W] for an image column, the column's own type otherwise.</summary>
    /// <exception cref="SchemaMismatchException">An image column of unknown size.</exception>
    public static DataViewType PatchTypeOf(string column, DataViewType type, string component)
    {
        if (type is not ImageDataViewType image) return type;
        EnsureRegistered();
        if (image.Height <= 0 || image.Width <= 0)
            throw new SchemaMismatchException(column, "images of a known size (resize them with ml.Transforms.ResizeImages first)",
                type.ToString(), component);
        return ColumnTypes.FloatTensor(3, image.Height, image.Width);
    }

    /// <summary>The batch's patches, row-major [rows, 3, H, W]: the float column itself, or the images converted.</summary>
    /// <exception cref="InvalidDataException">An image is missing or not of the column's size.</exception>
    public static float[] Read(DataBatch batch, string column, DataViewType inputType, string component)
    {
        if (inputType is not ImageDataViewType type) return batch.GetFloats(column);
        var images = (MLImage[])batch.GetArray(column);
        int h = type.Height, w = type.Width, length = 3 * h * w;
        var patches = new float[images.Length * length];
        Parallel.For(0, images.Length, ComputeThreads.ParallelOptions, r =>
        {
            var image = images[r] ?? throw new InvalidDataException($"{component}: row {r} of the batch has no image in '{column}'.");
            if (image.Height != h || image.Width != w)
                throw new InvalidDataException($"{component}: an image in '{column}' is {image.Width}×{image.Height}, the column says {w}×{h}.");
            ToPatch(image, patches.AsSpan(r * length, length));
        });
        return patches;
    }

    /// <summary>Writes <paramref name="image"/> as float CHW RGB in [0, 1].</summary>
    /// <exception cref="NotSupportedException">A pixel format other than 32-bit RGBA or BGRA.</exception>
    public static void ToPatch(MLImage image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        int plane = image.Width * image.Height;
        if (destination.Length != 3 * plane)
            throw new ArgumentException($"A {image.Width}×{image.Height} image needs {3 * plane} values, got {destination.Length}.", nameof(destination));
        var (red, blue) = image.PixelFormat switch
        {
            MLPixelFormat.Rgba32 => (0, 2),
            MLPixelFormat.Bgra32 => (2, 0),
            var other => throw new NotSupportedException($"Images of pixel format {other} are not supported (RGBA or BGRA, 32 bits)."),
        };
        var pixels = image.Pixels;
        const float scale = 1f / 255f;
        for (int i = 0; i < plane; i++)
        {
            destination[i] = pixels[4 * i + red] * scale;
            destination[plane + i] = pixels[4 * i + 1] * scale;
            destination[2 * plane + i] = pixels[4 * i + blue] * scale;
        }
    }
}
