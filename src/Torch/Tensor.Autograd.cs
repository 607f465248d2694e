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

    /// <summary>
    /// Gradients of the one-element <paramref name="output"/> with respect to each of <paramref name="inputs"/>, returned
    /// instead of accumulated into their <see cref="Grad"/> (PyTorch's <c>torch.autograd.grad</c>); null where an input does
    /// not take part in the graph. The graph is freed. Threads can differentiate shards of a batch concurrently this way and
    /// sum the results in a fixed order, which keeps data-parallel training deterministic.
    /// </summary>
    /// <exception cref="ArgumentException">No inputs, or an input is null.</exception>
    /// <exception cref="InvalidOperationException">The output has more than one element or does not require grad.</exception>
    public static Tensor?[] Gradients(Tensor output, IReadOnlyList<Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("Gradients needs at least one input.", nameof(inputs));
        for (var i = 0; i < inputs.Count; i++)
            if (inputs[i] is null) throw new ArgumentException($"Gradients: input {i} is null.", nameof(inputs));
        if (output.Numel != 1)
            throw new InvalidOperationException($"Gradients needs a one-element output (e.g. a loss), got shape {ShapeRules.Format(output.Shape)}.");
        if (!output.RequiresGrad)
            throw new InvalidOperationException("Gradients: the output does not require grad (computed under NoGradScope, or from no parameter).");
        var results = new IntPtr[inputs.Count];
        int rc;
        using (var lease = new HandleLease())
            rc = NativeMethods.mst_autograd_grad(lease.Add(output), lease.AddAll(inputs), inputs.Count, results);
        if (rc != 0)
        {
            foreach (var r in results)
                if (r != IntPtr.Zero) NativeMethods.mst_tensor_free(r);
            Status.Check(rc, "autograd_grad");
        }
        return results.Select(r => r == IntPtr.Zero ? null : Wrap(0, r, "autograd_grad")).ToArray();
    }

    /// <summary>Replaces the accumulated gradient with <paramref name="gradient"/> (null drops it), e.g. with gradients summed
    /// over data-parallel shards before an optimizer step.</summary>
    /// <exception cref="ArgumentException">The gradient's shape, dtype or device differs from this tensor's.</exception>
    public void SetGrad(Tensor? gradient)
    {
        if (gradient is not null)
        {
            if (!Shape.SequenceEqual(gradient.Shape))
                throw new ArgumentException(
                    $"SetGrad: gradient shape {ShapeRules.Format(gradient.Shape)} differs from tensor shape {ShapeRules.Format(Shape)}.", nameof(gradient));
            ShapeRules.SameDType(this, gradient, "SetGrad");
            ShapeRules.SameDevice(this, gradient, "SetGrad");
        }
        using var lease = new HandleLease();
        Status.Check(NativeMethods.mst_set_grad(lease.Add(this), lease.Add(gradient)), "set_grad");
    }

    /// <summary>Drops the accumulated gradient (the next backward starts from zero).</summary>
    public void ZeroGrad() => Status.Check(NativeMethods.mst_zero_grad(Handle), "zero_grad");
}
