using MlNetStem.Torch;
using MlNetStem.Torch.Nn;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>adaLN-Zero helpers: <c>adaLN_modulation</c> = SiLU, Linear(H → k·width) "1", zero-initialized.</summary>
internal static class AdaLnModulation
{
    public const double NormEps = 1e-6;

    public static Sequential Create(int hidden, int width, int chunks, Generator generator) =>
        new(new Silu(), ParameterInit.Zero(new Linear(hidden, (long)chunks * width, generator)));

    /// <summary>LayerNorm without affine over the last dimension.</summary>
    public static Tensor Norm(Tensor x) => Tensor.LayerNorm(x, [x.Shape[^1]], eps: NormEps);

    /// <summary><c>x·(1 + scale) + shift</c> with shift/scale [B, W] broadcast over tokens when x is [B, N, W].</summary>
    public static Tensor Modulate(Tensor x, Tensor shift, Tensor scale) => x.Rank == 3
        ? x * (scale.Unsqueeze(1) + 1) + shift.Unsqueeze(1)
        : x * (scale + 1) + shift;
}
