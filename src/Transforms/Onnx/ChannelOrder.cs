namespace MlNetStem.Transforms.Onnx;

/// <summary>Order of the colour planes an encoder expects in its input.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (PyTorch and timm encoders).</summary>
    Rgb,

    /// <summary>Blue, green, red (encoders trained on OpenCV-loaded images).</summary>
    Bgr,
}
