using System.Runtime.InteropServices;

namespace MlNetStem.Torch.Interop;

/// <summary>Owns one CPU <c>at::Generator</c> of the shim.</summary>
internal sealed class GeneratorHandle : SafeHandle
{
    public GeneratorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal GeneratorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.mst_generator_free(handle);
        return true;
    }
}
