using System.Runtime.InteropServices;

namespace MlNetStem.Onnx.Interop;

/// <summary>Layout of <c>OrtApiBase</c>, the only symbol the library exports by name.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct OrtApiBase
{
    /// <summary><c>const OrtApi* GetApi(uint32_t version)</c>; NULL when the version is unsupported.</summary>
    public delegate* unmanaged<uint, void**> GetApi;

    /// <summary><c>const char* GetVersionString(void)</c>.</summary>
    public delegate* unmanaged<byte*> GetVersionString;
}
