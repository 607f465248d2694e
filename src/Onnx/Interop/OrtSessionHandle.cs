namespace MlNetStem.Onnx.Interop;

/// <summary>Owns a session; released with <c>ReleaseSession</c>.</summary>
internal sealed class OrtSessionHandle : OrtHandle
{
    public OrtSessionHandle(nint handle) : base(handle) { }

    protected override unsafe void Release(OrtApi api, nint ptr) => api.ReleaseSession(ptr);
}
