namespace MlNetStem.Torch.Nn;

/// <summary>A module mapping one tensor to one tensor; the unit <see cref="Sequential"/> chains.</summary>
public abstract class TensorModule : Module
{
    /// <summary>Computes the module's output. Intermediate tensors join the current DisposeScope.</summary>
    public abstract Tensor Forward(Tensor input);
}
