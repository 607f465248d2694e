using MlNetStem.Torch;
using MlNetStem.Torch.Nn;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// DiT's timestep embedding: 256 sinusoidal features [cos(t·f), sin(t·f)] with f_i = exp(−ln(10000)·i/128), then
/// <c>mlp</c> = Linear(256 → H) "mlp.0", SiLU, Linear(H → H) "mlp.2".
/// </summary>
internal sealed class TimestepEmbedder : Module
{
    public const int FrequencySize = 256;
    private readonly Sequential _mlp;

    public TimestepEmbedder(int hidden, Generator generator)
    {
        _mlp = RegisterModule("mlp", new Sequential(
            ParameterInit.Normal(new Linear(FrequencySize, hidden, generator), 0.02, generator), new Silu(),
            ParameterInit.Normal(new Linear(hidden, hidden, generator), 0.02, generator)));
    }

    /// <summary>The 256 sinusoidal features of float timesteps [B].</summary>
    public static Tensor Sinusoidal(Tensor timesteps)
    {
        const int half = FrequencySize / 2;
        var frequencies = (Tensor.Arange(0, half) * (-Math.Log(10000) / half)).Exp();
        var args = timesteps.Unsqueeze(1) * frequencies.Unsqueeze(0);
        return Tensor.Cat([args.Cos(), args.Sin()], 1);
    }

    public Tensor Forward(Tensor timesteps) => _mlp.Forward(Sinusoidal(timesteps));
}
