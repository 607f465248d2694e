namespace MlNetStem.Onnx.Interop;

/// <summary>Owns a value (tensor); released with <c>ReleaseValue</c>.</summary>
internal sealed class OrtValueHandle : OrtHandle
{
    public OrtValueHandle(nint handle) : base(handle) { }

    protected override unsafe void Release(OrtApi api, nint ptr) => api.ReleaseValue(ptr);
}
