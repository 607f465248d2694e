namespace MlNetStem.Imaging;

/// <summary>libvips failed; carries the library's own message and the operation that failed.</summary>
public sealed class VipsException : IOException
{
    /// <summary>Creates the exception.</summary>
    public VipsException(string operation, string nativeMessage)
        : base(string.IsNullOrWhiteSpace(nativeMessage) ? operation : $"{operation}: {nativeMessage.Trim()}")
    {
        Operation = operation;
        NativeMessage = nativeMessage;
    }

    /// <summary>What was being done, e.g. "open 'he.jpg'".</summary>
    public string Operation { get; }

    /// <summary>libvips' error buffer at the time of failure.</summary>
    public string NativeMessage { get; }
}
