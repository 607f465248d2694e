namespace MlNetStem.Trainers.StAnd;

/// <summary>The nucleus image encoder of ST-AnD.</summary>
public enum StAndEncoder
{
    /// <summary>Plain convolutional encoder: Conv(32, 3×3, stride 2) → ReLU → Conv(64, 3×3, stride 2) → ReLU → 1×1 Conv(latent).</summary>
    Conv,

    /// <summary>The same encoder with ST-AnD's vector quantizer (codebook, commitment loss) and a reconstruction decoder: a VQ-VAE.</summary>
    VqVae,
}
