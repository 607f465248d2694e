namespace MlNetStem.Transforms.Onnx;

/// <summary>
/// How an encoder's output becomes one embedding per patch. A CNN's feature map <c>[N,C,H,W]</c> has no tokens: under
/// either choice it is averaged over H×W (global average pooling) into C values.
/// </summary>
public enum OnnxPooling
{
    /// <summary>A <c>[N,D]</c> output as is, or token 0 (the CLS token) of a <c>[N,T,D]</c> output.</summary>
    Cls,

    /// <summary>The mean of tokens 1..T-1 (the patch tokens, CLS excluded) of a <c>[N,T,D]</c> output.</summary>
    Mean,
}
