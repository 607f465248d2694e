using System.Runtime.InteropServices;

namespace MlNetStem.Torch.Interop;

/// <summary>Owns one heap-allocated <c>torch::Tensor</c> of the shim.</summary>
internal sealed class TensorHandle : SafeHandle
{
    public TensorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal TensorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.mst_tensor_free(handle);
        return true;
    }
}
