using MlNetStem.Torch.Interop;

namespace MlNetStem.Torch;

public sealed partial class Tensor
{
    /// <summary>Whether autograd tracks operations on this tensor. Only floating-point leaves can be set.</summary>
    /// <exception cref="ArgumentException">Set on a non-floating tensor.</exception>
    public bool RequiresGrad
    {
        get
        {
            Status.Check(NativeMethods.mst_requires_grad(Handle, out var v), "requires_grad");
            return v != 0;
        }
        set
        {
            if (value) ShapeRules.Floating(this, "RequiresGrad");
            Status.Check(NativeMethods.mst_set_requires_grad(Handle, value ? 1 : 0), "set_requires_grad");
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for chaining.</summary>
    public Tensor WithRequiresGrad(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>Back-propagates from this one-element tensor, accumulating into leaves' gradients.</summary>
    /// <exception cref="InvalidOperationException">The tensor has more than one element or does not require grad.</exception>
    public void Backward()
    {
        if (Numel != 1)
            throw new InvalidOperationException(
                $"Backward() needs a one-element tensor (e.g. a loss), got shape {ShapeRules.Format(Shape)}; pass an output gradient instead.");
        if (!RequiresGrad)
            throw new InvalidOperationException("Backward(): the tensor does not require grad (no parameter in its graph requires grad, or it was computed under NoGradScope).");
        using var lease = new HandleLease();
        Status.Check(NativeMethods.mst_backward(lease.Add(this), IntPtr.Zero), "backward");
    }

    /// <summary>Back-propagates with an explicit gradient of this tensor's shape.</summary>
    /// <exception cref="ArgumentException">The gradient's shape differs.</exception>
    /// <exception cref="InvalidOperationException">The tensor does not require grad.</exception>
    public void Backward(Tensor outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        if (!Shape.SequenceEqual(outputGradient.Shape))
            throw new ArgumentException(
                $"Backward: gradient shape {ShapeRules.Format(outputGradient.Shape)} differs from tensor shape {ShapeRules.Format(Shape)}.",
                nameof(outputGradient));
        if (!RequiresGrad)
            throw new InvalidOperationException("Backward(): the tensor does not require grad.");
        using var lease = new HandleLease();
        Status.Check(NativeMethods.mst_backward(lease.Add(this), lease.Add(outputGradient)), "backward");
    }

    /// <summary>The accumulated gradient as a new tensor sharing its storage, or null when there is none.</summary>
    public Tensor? Grad()
    {
        var rc = NativeMethods.mst_grad(Handle, out var r);
        if (rc == 0 && r == IntPtr.Zero) return null;
        return Wrap(rc, r, "grad");
    }

    /// <summary>Drops the accumulated gradient (the next backward starts from zero).</summary>
    public void ZeroGrad() => Status.Check(NativeMethods.mst_zero_grad(Handle), "zero_grad");
}
