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
            for (int i = 0; i < destination.Length; i++) destination[i] = (source[i] - mean) / std;
            return;
        }
        for (int y = 0; y < _outHeight; y++)
        {
            var top = source.Slice(_y0[y] * _inWidth, _inWidth);
            var bottom = source.Slice(_y1[y] * _inWidth, _inWidth);
            float wy = _wy[y];
            var row = destination.Slice(y * _outWidth, _outWidth);
            for (int x = 0; x < _outWidth; x++)
            {
                int x0 = _x0[x], x1 = _x1[x];
                float wx = _wx[x];
                float t = top[x0] + (top[x1] - top[x0]) * wx;
                float b = bottom[x0] + (bottom[x1] - bottom[x0]) * wx;
                row[x] = (t + (b - t) * wy - mean) / std;
            }
        }
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
