namespace MlNetStem.Torch;

/// <summary>A libtorch operation failed natively; carries the operation's name and libtorch's message.</summary>
public sealed class TorchException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="operation">The binding operation that failed, e.g. <c>matmul</c>.</param>
    /// <param name="nativeMessage">The message libtorch reported.</param>
    public TorchException(string operation, string nativeMessage)
        : base($"libtorch {operation} failed: {nativeMessage}")
    {
        Operation = operation;
        NativeMessage = nativeMessage;
    }

    /// <summary>The binding operation that failed.</summary>
    public string Operation { get; }

    /// <summary>The message libtorch reported, without its C++ backtrace.</summary>
    public string NativeMessage { get; }
}
