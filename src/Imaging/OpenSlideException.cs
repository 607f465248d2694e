namespace MlNetStem.Imaging;

/// <summary>OpenSlide failed; carries the library's own message and the operation that failed.</summary>
public sealed class OpenSlideException : IOException
{
    /// <summary>Creates the exception.</summary>
    public OpenSlideException(string operation, string nativeMessage)
        : base(string.IsNullOrWhiteSpace(nativeMessage) ? operation : $"{operation}: {nativeMessage.Trim()}")
    {
        Operation = operation;
        NativeMessage = nativeMessage;
    }

    /// <summary>What was being done, e.g. "open 'slide.svs'".</summary>
    public string Operation { get; }

    /// <summary>openslide_get_error's message at the time of failure.</summary>
    public string NativeMessage { get; }
}
