using MlNetStem.Torch;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// The network inside the diffusion: (ε, v) = denoiser(x_t, t, condition). Everything else (schedules, losses,
/// samplers) only sees this interface, so tests can inject an analytic denoiser and an ONNX export only has to
/// trace this one call. Callers open a DisposeScope.
/// </summary>
internal interface IDenoiser
{
    /// <summary>Genes per sample (the width of x_t).</summary>
    int GeneCount { get; }

    /// <summary>Width of the (standardized) condition vector.</summary>
    int ConditionSize { get; }

    /// <summary>Predicts noise and variance interpolation.</summary>
    /// <param name="noisy">x_t, float [B, G].</param>
    /// <param name="timesteps">Training-schedule timestep of each sample (respaced samplers pass the original step), float [B].</param>
    /// <param name="condition">Standardized condition, float [B, C].</param>
    /// <returns>ε [B, G] and the learned-range variance value v in about [−1, 1], [B, G].</returns>
    (Tensor Epsilon, Tensor Variance) Forward(Tensor noisy, Tensor timesteps, Tensor condition);

    /// <summary>The part of the network that sees only the condition (Stem's y_embedder), computed once per sampling run
    /// instead of once per step: with a 1024–1536-wide foundation-model embedding it is most of a small denoiser's cost.</summary>
    /// <param name="condition">Standardized condition, float [B, C].</param>
    /// <returns>What <see cref="ForwardEmbedded"/> takes; the condition itself unless the network overrides both.</returns>
    Tensor EmbedCondition(Tensor condition) => condition;

    /// <summary><see cref="Forward"/> with the condition already passed through <see cref="EmbedCondition"/>.</summary>
    (Tensor Epsilon, Tensor Variance) ForwardEmbedded(Tensor noisy, Tensor timesteps, Tensor embeddedCondition) =>
        Forward(noisy, timesteps, embeddedCondition);
}
