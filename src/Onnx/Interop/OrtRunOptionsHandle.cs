namespace MlNetStem.Onnx.Interop;

/// <summary>Owns run options; released with <c>ReleaseRunOptions</c>.</summary>
internal sealed class OrtRunOptionsHandle : OrtHandle
{
    public OrtRunOptionsHandle(nint handle) : base(handle) { }

    protected override unsafe void Release(OrtApi api, nint ptr) => api.ReleaseRunOptions(ptr);
}
