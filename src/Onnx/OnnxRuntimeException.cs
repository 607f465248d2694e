namespace MlNetStem.Onnx;

/// <summary>
/// A failure reported by ONNX Runtime through a non-NULL <c>OrtStatus</c>, or a failure to
/// load the runtime library itself.
/// </summary>
public sealed class OnnxRuntimeException : Exception
{
    /// <summary>Creates the exception for a failed native operation.</summary>
    /// <param name="operation">The ORT function or step that failed, e.g. <c>CreateSession</c>.</param>
    /// <param name="errorCode">The native error code.</param>
    /// <param name="nativeMessage">The message ORT returned.</param>
    public OnnxRuntimeException(string operation, OnnxErrorCode errorCode, string nativeMessage)
        : base($"ONNX Runtime {operation} failed ({errorCode}): {nativeMessage}")
    {
        Operation = operation;
        ErrorCode = errorCode;
        NativeMessage = nativeMessage;
    }

    /// <summary>The ORT function or step that failed.</summary>
    public string Operation { get; }

    /// <summary>The native error code.</summary>
    public OnnxErrorCode ErrorCode { get; }

    /// <summary>The message ORT returned, unchanged.</summary>
    public string NativeMessage { get; }
}
