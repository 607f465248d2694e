namespace MlNetStem.Onnx.Interop;

/// <summary>Owns an environment; released with <c>ReleaseEnv</c>.</summary>
internal sealed class OrtEnvHandle : OrtHandle
{
    public OrtEnvHandle(nint handle) : base(handle) { }

    protected override unsafe void Release(OrtApi api, nint ptr) => api.ReleaseEnv(ptr);
}
