namespace MlNetStem.Torch.Nn;

/// <summary>The ReLU (max(x, 0)) activation as a module.</summary>
public sealed class Relu : TensorModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();
}
