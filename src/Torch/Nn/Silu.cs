namespace MlNetStem.Torch.Nn;

/// <summary>The SiLU (x·sigmoid(x)) activation as a module.</summary>
public sealed class Silu : TensorModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Silu();
}
