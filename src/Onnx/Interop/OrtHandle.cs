using System.Runtime.InteropServices;

namespace MlNetStem.Onnx.Interop;

/// <summary>
/// Owns one ORT object; subclasses name the Release function. Deterministic disposal is
/// the rule; the finalizer is only a safety net.
/// </summary>
internal abstract class OrtHandle : SafeHandle
{
    protected OrtHandle(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    protected sealed override unsafe bool ReleaseHandle()
    {
        Release(OrtNative.Api, handle);
        return true;
    }

    protected abstract unsafe void Release(OrtApi api, nint ptr);
}
