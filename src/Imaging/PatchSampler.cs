using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace MlNetStem.Imaging;

/// <summary>
/// Cuts spot-centred square patches out of a slide, from the pyramid level that suits the
/// requested resolution, and resamples them to a fixed pixel size: bilinear when enlarging or mildly shrinking, box averaging when shrinking more than
/// 1.5× (avoids aliasing). Output is float CHW RGB in [0, 1]; outside the image is white.
/// </summary>
public static class PatchSampler
{
    /// <summary>
    /// Relative slack when comparing a level's downsample with the target: pyramid levels of
    /// odd-sized slides report downsamples such as 4.0002, and reading such a level for a
    /// target of 4 is a negligible upsample, far better than falling back to a 2× finer level.
    /// </summary>
    public const double LevelTolerance = 0.01;

    /// <summary>
    /// The pyramid level to read for a target of <paramref name="downsample"/> level-0 pixels per
    /// output pixel: the coarsest level that is still at least as fine as the target (never
    /// upsample from a coarse level when a finer one exists); level 0 when the target is finer
    /// than every level.
    /// </summary>
    /// <exception cref="ArgumentException">No levels, or a downsample that is not a positive number.</exception>
    public static int SelectLevel(IReadOnlyList<SlideLevel> levels, double downsample)
    {
        ArgumentNullException.ThrowIfNull(levels);
        if (levels.Count == 0) throw new ArgumentException("The slide has no levels.", nameof(levels));
        if (!(downsample > 0) || !double.IsFinite(downsample))
            throw new ArgumentException($"Downsample must be a positive number, got {downsample}.", nameof(downsample));
        int best = 0;
        for (int i = 1; i < levels.Count; i++)
            if (levels[i].Downsample <= downsample * (1 + LevelTolerance) && levels[i].Downsample > levels[best].Downsample)
                best = i;
        return best;
    }

    /// <summary>Reads one patch from the pyramid level that suits its resolution (see <see cref="SelectLevel"/>).</summary>
    /// <param name="slide">Source slide or image (a <see cref="VipsImage"/> is a one-level slide).</param>
    /// <param name="centreX">Patch centre, x in level-0 (full-resolution) pixels.</param>
    /// <param name="centreY">Patch centre, y in level-0 (full-resolution) pixels.</param>
    /// <param name="sourceSize">Side of the patch in level-0 pixels (physical size / µm per pixel).</param>
    /// <param name="outputSize">Side of the output patch in pixels.</param>
    /// <param name="chw">Destination, 3 × outputSize × outputSize floats.</param>
    /// <exception cref="ArgumentException">Non-finite centre, non-positive sizes, or wrong buffer length.</exception>
    /// <exception cref="IOException">The slide could not be decoded.</exception>
    public static void Read(ISlide slide, double centreX, double centreY, double sourceSize, int outputSize, Span<float> chw)
    {
        ArgumentNullException.ThrowIfNull(slide);
        if (!double.IsFinite(centreX) || !double.IsFinite(centreY))
            throw new ArgumentException($"Patch centre ({centreX}, {centreY}) is not finite.");
        if (!(sourceSize > 0) || !double.IsFinite(sourceSize) || outputSize <= 0)
            throw new ArgumentException($"Patch sizes must be positive (source {sourceSize} px, output {outputSize} px).");
        if (chw.Length != 3 * outputSize * outputSize)
            throw new ArgumentException($"Destination holds {chw.Length} floats, need {3 * outputSize * outputSize}.");

        int level = SelectLevel(slide.Levels, sourceSize / outputSize);
        double downsample = slide.Levels[level].Downsample;
        // Continuous coordinates scale exactly: level pixel j covers level-0 [j·d, (j+1)·d).
        double size = sourceSize / downsample;
        double scale = size / outputSize;                 // level pixels per output pixel
        double originX = centreX / downsample - size / 2, originY = centreY / downsample - size / 2;
        int left = (int)Math.Floor(originX) - 1, top = (int)Math.Floor(originY) - 1;
        int span = (int)Math.Ceiling(size) + 3;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(span * span * 3);
        try
        {
            slide.ReadRgb(level, left, top, span, span, buffer);
            if (scale > 1.5) BoxResample(buffer, span, originX - left, originY - top, scale, outputSize, chw);
            else BilinearResample(buffer, span, originX - left, originY - top, scale, outputSize, chw);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        // Separable: each source row is interpolated along x once (planar, n values per channel) and
        // reused by every output row that reads it, instead of twice per output row; the blend along
        // y then runs over contiguous floats. Same float operations on the same operands as
        // interpolating each output pixel from its four neighbours, so the output is bit-identical.
        // The kernels are compiled optimized at once (AggressiveOptimization): unoptimized (tier-0)
        // SIMD code is far slower, and a single pass over one section would otherwise run much of it.
        float[] rows = ArrayPool<float>.Shared.Rent(6 * n);
        try
        {
            int top = 0, bottom = 3 * n, topRow = -2;
            for (int j = 0; j < n; j++)
            {
                double v = offsetY + (j + 0.5) * scale - 0.5;
                int y0 = Math.Clamp((int)Math.Floor(v), 0, span - 2);
                float fy = (float)Math.Clamp(v - y0, 0, 1);
                if (y0 != topRow)
                {
                    if (y0 == topRow + 1)
                        (top, bottom) = (bottom, top);   // the old bottom row is the new top
                    else
                        InterpolateRow(rgb, y0 * span * 3, x0s, fxs, rows.AsSpan(top, 3 * n));
                    InterpolateRow(rgb, (y0 + 1) * span * 3, x0s, fxs, rows.AsSpan(bottom, 3 * n));
                    topRow = y0;
                }
                for (int c = 0; c < 3; c++)
                    BlendRows(rows.AsSpan(top + c * n, n), rows.AsSpan(bottom + c * n, n), fy, inv, chw.Slice(c * plane + j * n, n));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rows);
        }
    }

    /// <summary>One source row interpolated along x at the output columns: channel c at <c>[c·n, (c+1)·n)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InterpolateRow(byte[] rgb, int row, ReadOnlySpan<int> x0s, ReadOnlySpan<float> fxs, Span<float> planar)
    {
        int n = x0s.Length;
        var r = planar[..n];
        var g = planar.Slice(n, n);
        var b = planar.Slice(2 * n, n);
        for (int i = 0; i < n; i++)
        {
            int a = row + x0s[i] * 3;
            float fx = fxs[i];
            r[i] = rgb[a] + (rgb[a + 3] - rgb[a]) * fx;
            g[i] = rgb[a + 1] + (rgb[a + 4] - rgb[a + 1]) * fx;
            b[i] = rgb[a + 2] + (rgb[a + 5] - rgb[a + 2]) * fx;
        }
    }

    /// <summary><c>destination = (top + (bottom − top)·fy)·scale</c>, element-wise (SIMD lanes compute exactly what the scalar loop does).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlendRows(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, float fy, float scale, Span<float> destination)
    {
        int n = destination.Length, i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var weight = new Vector<float>(fy);
            var factor = new Vector<float>(scale);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var t = new Vector<float>(top[i..]);
                var d = new Vector<float>(bottom[i..]) - t;
                ((t + d * weight) * factor).CopyTo(destination[i..]);
            }
        }
        for (; i < n; i++) destination[i] = (top[i] + (bottom[i] - top[i]) * fy) * scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
