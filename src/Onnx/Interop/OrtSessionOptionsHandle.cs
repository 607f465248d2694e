namespace MlNetStem.Onnx.Interop;

/// <summary>Owns session options; released with <c>ReleaseSessionOptions</c>.</summary>
internal sealed class OrtSessionOptionsHandle : OrtHandle
{
    public OrtSessionOptionsHandle(nint handle) : base(handle) { }

    protected override unsafe void Release(OrtApi api, nint ptr) => api.ReleaseSessionOptions(ptr);
}
