using System.Buffers;

namespace MlNetStem.Imaging;

/// <summary>
/// Cuts spot-centred square patches out of an image and resamples them to a fixed pixel
/// size: bilinear when enlarging or mildly shrinking, box averaging when shrinking more than
/// 1.5× (avoids aliasing). Output is float CHW RGB in [0, 1]; outside the image is white.
/// </summary>
public static class PatchSampler
{
    /// <summary>Reads one patch.</summary>
    /// <param name="image">Source image.</param>
    /// <param name="centreX">Patch centre, x in full-resolution pixels.</param>
    /// <param name="centreY">Patch centre, y in full-resolution pixels.</param>
    /// <param name="sourceSize">Side of the patch in source pixels (physical size / µm per pixel).</param>
    /// <param name="outputSize">Side of the output patch in pixels.</param>
    /// <param name="chw">Destination, 3 × outputSize × outputSize floats.</param>
    /// <exception cref="ArgumentException">Non-finite centre, non-positive sizes, or wrong buffer length.</exception>
    public static void Read(VipsImage image, double centreX, double centreY, double sourceSize, int outputSize, Span<float> chw)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!double.IsFinite(centreX) || !double.IsFinite(centreY))
            throw new ArgumentException($"Patch centre ({centreX}, {centreY}) is not finite.");
        if (!(sourceSize > 0) || outputSize <= 0)
            throw new ArgumentException($"Patch sizes must be positive (source {sourceSize} px, output {outputSize} px).");
        if (chw.Length != 3 * outputSize * outputSize)
            throw new ArgumentException($"Destination holds {chw.Length} floats, need {3 * outputSize * outputSize}.");

        double scale = sourceSize / outputSize;           // source pixels per output pixel
        double originX = centreX - sourceSize / 2, originY = centreY - sourceSize / 2;
        int left = (int)Math.Floor(originX) - 1, top = (int)Math.Floor(originY) - 1;
        int span = (int)Math.Ceiling(sourceSize) + 3;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(span * span * 3);
        try
        {
            image.ReadRgb(left, top, span, span, buffer);
            if (scale > 1.5) BoxResample(buffer, span, originX - left, originY - top, scale, outputSize, chw);
            else BilinearResample(buffer, span, originX - left, originY - top, scale, outputSize, chw);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void BilinearResample(byte[] rgb, int span, double offsetX, double offsetY, double scale, int n, Span<float> chw)
    {
        const float inv = 1f / 255f;
        int plane = n * n;
        Span<int> x0s = stackalloc int[n];
        Span<float> fxs = stackalloc float[n];
        for (int i = 0; i < n; i++)
        {
            double u = offsetX + (i + 0.5) * scale - 0.5;
            int x0 = Math.Clamp((int)Math.Floor(u), 0, span - 2);
            x0s[i] = x0;
            fxs[i] = (float)Math.Clamp(u - x0, 0, 1);
        }
        for (int j = 0; j < n; j++)
        {
            double v = offsetY + (j + 0.5) * scale - 0.5;
            int y0 = Math.Clamp((int)Math.Floor(v), 0, span - 2);
            float fy = (float)Math.Clamp(v - y0, 0, 1);
            int row0 = y0 * span * 3, row1 = row0 + span * 3;
            for (int i = 0; i < n; i++)
            {
                int a = row0 + x0s[i] * 3, b = row1 + x0s[i] * 3;
                float fx = fxs[i];
                for (int c = 0; c < 3; c++)
                {
                    float top = rgb[a + c] + (rgb[a + 3 + c] - rgb[a + c]) * fx;
                    float bottom = rgb[b + c] + (rgb[b + 3 + c] - rgb[b + c]) * fx;
                    chw[c * plane + j * n + i] = (top + (bottom - top) * fy) * inv;
                }
            }
        }
    }

    private static void BoxResample(byte[] rgb, int span, double offsetX, double offsetY, double scale, int n, Span<float> chw)
    {
        int plane = n * n;
        for (int j = 0; j < n; j++)
        {
            int ya = Math.Clamp((int)Math.Floor(offsetY + j * scale), 0, span - 1);
            int yb = Math.Clamp((int)Math.Ceiling(offsetY + (j + 1) * scale), ya + 1, span);
            for (int i = 0; i < n; i++)
            {
                int xa = Math.Clamp((int)Math.Floor(offsetX + i * scale), 0, span - 1);
                int xb = Math.Clamp((int)Math.Ceiling(offsetX + (i + 1) * scale), xa + 1, span);
                float r = 0, g = 0, b = 0;
                for (int y = ya; y < yb; y++)
                for (int x = xa; x < xb; x++)
                {
                    int k = (y * span + x) * 3;
                    r += rgb[k];
                    g += rgb[k + 1];
                    b += rgb[k + 2];
                }
                float norm = 1f / (255f * (yb - ya) * (xb - xa));
                chw[j * n + i] = r * norm;
                chw[plane + j * n + i] = g * norm;
                chw[2 * plane + j * n + i] = b * norm;
            }
        }
    }
}
