namespace MlNetStem.Onnx;

/// <summary>
/// A failure reported by ONNX Runtime (its <c>Microsoft.ML.OnnxRuntime.OnnxRuntimeException</c>
/// is always translated into this type, with the step that failed), or a request the loaded
/// runtime cannot serve. <see cref="Exception.Message"/> is a single line.
/// </summary>
public sealed class OnnxRuntimeException : Exception
{
    /// <summary>Creates the exception for a failed native operation.</summary>
    /// <param name="operation">The ORT function or step that failed, e.g. <c>CreateSession</c>.</param>
    /// <param name="errorCode">The native error code.</param>
    /// <param name="nativeMessage">The message ORT returned.</param>
    public OnnxRuntimeException(string operation, OnnxErrorCode errorCode, string nativeMessage)
        : this(operation, errorCode, nativeMessage, null)
    {
    }

    internal OnnxRuntimeException(string operation, OnnxErrorCode errorCode, string nativeMessage, Exception? inner)
        : base($"ONNX Runtime {operation} failed ({errorCode}): {OneLine(nativeMessage)}", inner)
    {
        Operation = operation;
        ErrorCode = errorCode;
        NativeMessage = nativeMessage;
    }

    /// <summary>The ORT function or step that failed.</summary>
    public string Operation { get; }

    /// <summary>The native error code.</summary>
    public OnnxErrorCode ErrorCode { get; }

    /// <summary>The message ORT returned, unchanged (it may span several lines).</summary>
    public string NativeMessage { get; }

    private static string OneLine(string text) =>
        string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
