namespace MlNetStem.Torch.Nn;

/// <summary>The GELU activation as a module; the tanh approximation by default (as DiT uses).</summary>
/// <param name="tanhApproximation">Use the tanh approximation rather than the exact erf form.</param>
public sealed class Gelu(bool tanhApproximation = true) : TensorModule
{
    /// <summary>Whether the tanh approximation is used.</summary>
    public bool TanhApproximation { get; } = tanhApproximation;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Gelu(TanhApproximation);
}
