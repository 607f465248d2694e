using System.Buffers;
using System.Numerics;

namespace MlNetStem.Transforms.Onnx;

/// <summary>
/// Bilinear resampling of one image plane with half-pixel centres and edge clamping (as
/// PyTorch's <c>interpolate(mode="bilinear", align_corners=False)</c> without antialiasing).
/// Tables are computed once per size pair and reused for every patch.
/// </summary>
internal sealed class PatchResampler
{
    private readonly int _inHeight, _inWidth, _outHeight, _outWidth;
    private readonly int[] _x0, _x1, _y0, _y1;
    private readonly float[] _wx, _wy;

    public PatchResampler(int inHeight, int inWidth, int outHeight, int outWidth)
    {
        (_inHeight, _inWidth, _outHeight, _outWidth) = (inHeight, inWidth, outHeight, outWidth);
        (_x0, _x1, _wx) = Axis(inWidth, outWidth);
        (_y0, _y1, _wy) = Axis(inHeight, outHeight);
    }

    /// <summary>True when input and output sizes agree, so planes are copied unchanged.</summary>
    public bool IsIdentity => _inHeight == _outHeight && _inWidth == _outWidth;

    /// <summary>Resamples plane <paramref name="source"/> (inHeight × inWidth) into <paramref name="destination"/>, then applies (v - mean) / std.</summary>
    public void ResampleNormalized(ReadOnlySpan<float> source, Span<float> destination, float mean, float std)
    {
        if (IsIdentity)
        {
            // The common case (patch already at the model's size) is a pure streaming pass: SIMD.
            int i = 0, n = destination.Length;
            if (Vector.IsHardwareAccelerated)
            {
                Vector<float> m = new(mean), s = new(std);
                for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                    ((new Vector<float>(source[i..]) - m) / s).CopyTo(destination[i..]);
            }
            for (; i < n; i++) destination[i] = (source[i] - mean) / std;
            return;
        }
        // Separable: each source row is interpolated horizontally once, then output rows blend
        // two of those rows (a streaming pass that vectorizes).
        float[] rented = ArrayPool<float>.Shared.Rent(_inHeight * _outWidth);
        try
        {
            var horizontal = rented.AsSpan(0, _inHeight * _outWidth);
            for (int y = 0; y < _inHeight; y++)
            {
                var input = source.Slice(y * _inWidth, _inWidth);
                var output = horizontal.Slice(y * _outWidth, _outWidth);
                for (int x = 0; x < _outWidth; x++)
                {
                    float left = input[_x0[x]];
                    output[x] = left + (input[_x1[x]] - left) * _wx[x];
                }
            }
            for (int y = 0; y < _outHeight; y++)
                Blend(horizontal.Slice(_y0[y] * _outWidth, _outWidth), horizontal.Slice(_y1[y] * _outWidth, _outWidth), _wy[y],
                    destination.Slice(y * _outWidth, _outWidth), mean, std);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>row = (top + (bottom - top) · w - mean) / std.</summary>
    private static void Blend(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, float weight, Span<float> row, float mean, float std)
    {
        int x = 0, n = row.Length;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<float> w = new(weight), m = new(mean), s = new(std);
            for (; x <= n - Vector<float>.Count; x += Vector<float>.Count)
            {
                var t = new Vector<float>(top[x..]);
                ((t + (new Vector<float>(bottom[x..]) - t) * w - m) / s).CopyTo(row[x..]);
            }
        }
        for (; x < n; x++) row[x] = (top[x] + (bottom[x] - top[x]) * weight - mean) / std;
    }

    private static (int[] Low, int[] High, float[] Weight) Axis(int inSize, int outSize)
    {
        var low = new int[outSize];
        var high = new int[outSize];
        var weight = new float[outSize];
        double scale = (double)inSize / outSize;
        for (int i = 0; i < outSize; i++)
        {
            double src = Math.Max((i + 0.5) * scale - 0.5, 0);
            int l = Math.Min((int)src, inSize - 1);
            low[i] = l;
            high[i] = Math.Min(l + 1, inSize - 1);
            weight[i] = (float)(src - l);
        }
        return (low, high, weight);
    }
}
