namespace MlNetStem.Onnx.Interop;

/// <summary>Owns a type info; released with <c>ReleaseTypeInfo</c>.</summary>
internal sealed class OrtTypeInfoHandle : OrtHandle
{
    public OrtTypeInfoHandle(nint handle) : base(handle) { }

    protected override unsafe void Release(OrtApi api, nint ptr) => api.ReleaseTypeInfo(ptr);
}
