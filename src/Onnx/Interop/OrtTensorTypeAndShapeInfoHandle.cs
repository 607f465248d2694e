namespace MlNetStem.Onnx.Interop;

/// <summary>Owns a tensor type-and-shape info; released with <c>ReleaseTensorTypeAndShapeInfo</c>.</summary>
internal sealed class OrtTensorTypeAndShapeInfoHandle : OrtHandle
{
    public OrtTensorTypeAndShapeInfoHandle(nint handle) : base(handle) { }

    protected override unsafe void Release(OrtApi api, nint ptr) => api.ReleaseTensorTypeAndShapeInfo(ptr);
}
