namespace MlNetStem.Torch.Interop;

/// <summary>
/// Keeps a group of tensor handles alive (DangerousAddRef) while their raw pointers are in a
/// native call: used where a signature takes nullable pointers or pointer arrays, which the
/// SafeHandle marshaller cannot express.
/// </summary>
internal sealed class HandleLease : IDisposable
{
    private readonly List<TensorHandle> _held = new();

    internal IntPtr Add(Tensor? tensor)
    {
        if (tensor is null) return IntPtr.Zero;
        var h = tensor.Handle;
        var added = false;
        h.DangerousAddRef(ref added);
        if (added) _held.Add(h);
        return h.DangerousGetHandle();
    }

    internal IntPtr[] AddAll(IReadOnlyList<Tensor> tensors)
    {
        var result = new IntPtr[tensors.Count];
        for (var i = 0; i < result.Length; i++) result[i] = Add(tensors[i]);
        return result;
    }

    public void Dispose()
    {
        foreach (var h in _held) h.DangerousRelease();
        _held.Clear();
    }
}
