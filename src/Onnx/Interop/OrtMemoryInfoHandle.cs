namespace MlNetStem.Onnx.Interop;

/// <summary>Owns a memory info; released with <c>ReleaseMemoryInfo</c>.</summary>
internal sealed class OrtMemoryInfoHandle : OrtHandle
{
    public OrtMemoryInfoHandle(nint handle) : base(handle) { }

    protected override unsafe void Release(OrtApi api, nint ptr) => api.ReleaseMemoryInfo(ptr);
}
