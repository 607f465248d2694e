namespace MlNetStem.Transforms.Onnx;

/// <summary>One image encoder of <see cref="FeaturizeOnnxOptions"/> and how patches are prepared for it.</summary>
/// <param name="ModelPath">The .onnx file; relative paths resolve against the current directory.</param>
/// <param name="InputName">The image input; null means the model's only input.</param>
/// <param name="OutputName">
/// The output to pool: <c>[N,D]</c>, <c>[N,T,D]</c> or a CNN's <c>[N,C,H,W]</c> (averaged over H×W). Null means
/// the first output (with <see cref="OnnxPooling.Mean"/>, the first output of rank 3 or 4, since mean pooling needs
/// tokens or a feature map).
/// </param>
/// <param name="Pooling">How the output becomes one vector per patch.</param>
/// <param name="InputSize">
/// Side in pixels the patch is resized to (bilinear). Null means the model's fixed input
/// height and width, or the patch size when the model's spatial dimensions are symbolic.
/// Must equal the model's fixed size when it has one.
/// </param>
/// <param name="Mean">Per-channel mean subtracted, listed in R, G, B order whatever <paramref name="Channels"/> is; null: ImageNet (0.485, 0.456, 0.406).</param>
/// <param name="Std">Per-channel divisor, listed in R, G, B order; null: ImageNet (0.229, 0.224, 0.225).</param>
/// <param name="Channels">Channel order the model expects.</param>
public sealed record OnnxEncoderOptions(
    string ModelPath,
    string? InputName = null,
    string? OutputName = null,
    OnnxPooling Pooling = OnnxPooling.Cls,
    int? InputSize = null,
    IReadOnlyList<float>? Mean = null,
    IReadOnlyList<float>? Std = null,
    ChannelOrder Channels = ChannelOrder.Rgb)
{
    /// <summary>ImageNet channel means (R, G, B), the default of most pathology encoders.</summary>
    public static IReadOnlyList<float> ImageNetMean { get; } = [0.485f, 0.456f, 0.406f];

    /// <summary>ImageNet channel standard deviations (R, G, B).</summary>
    public static IReadOnlyList<float> ImageNetStd { get; } = [0.229f, 0.224f, 0.225f];

    /// <summary>The means actually used.</summary>
    public IReadOnlyList<float> EffectiveMean => Mean ?? ImageNetMean;

    /// <summary>The standard deviations actually used.</summary>
    public IReadOnlyList<float> EffectiveStd => Std ?? ImageNetStd;

    /// <summary>Checks the values that need no model file.</summary>
    /// <exception cref="ArgumentException">Empty path, a non-positive size, or a mean/std that is not three finite numbers (std &gt; 0).</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath)) throw new ArgumentException("An ONNX encoder needs a model path.");
        if (InputSize is < 1 or > 8192) throw new ArgumentException($"Encoder '{ModelPath}': input size must be 1–8192 pixels, got {InputSize}.");
        if (EffectiveMean.Count != 3 || EffectiveMean.Any(m => !float.IsFinite(m)))
            throw new ArgumentException($"Encoder '{ModelPath}': mean must be three finite numbers (R, G, B), got [{string.Join(", ", EffectiveMean)}].");
        if (EffectiveStd.Count != 3 || EffectiveStd.Any(s => !float.IsFinite(s) || !(s > 0)))
            throw new ArgumentException($"Encoder '{ModelPath}': std must be three positive numbers (R, G, B), got [{string.Join(", ", EffectiveStd)}].");
        if (!Enum.IsDefined(Pooling)) throw new ArgumentException($"Encoder '{ModelPath}': unknown pooling {Pooling}.");
        if (!Enum.IsDefined(Channels)) throw new ArgumentException($"Encoder '{ModelPath}': unknown channel order {Channels}.");
    }
}
