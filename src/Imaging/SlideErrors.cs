using System.Text.RegularExpressions;

namespace MlNetStem.Imaging;

/// <summary>
/// Turns the failures of reading a slide into the one exception a user should see: a decode failure of
/// libvips or OpenSlide (a truncated or corrupt file) becomes an <see cref="InvalidDataException"/> naming
/// the file and the library's reason; an <see cref="AggregateException"/> from a parallel reader is unwrapped.
/// </summary>
public static partial class SlideErrors
{
    /// <summary>The exception an <see cref="AggregateException"/> (flattened) carries first; any other exception itself.</summary>
    public static Exception Unwrap(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        while (error is AggregateException aggregate && aggregate.InnerExceptions.Count > 0)
        {
            var inner = aggregate.Flatten().InnerExceptions;
            // A decode failure says more than the cancellation it caused in other workers.
            error = inner.FirstOrDefault(e => e is not OperationCanceledException) ?? inner[0];
        }
        return error;
    }

    /// <summary>True when <paramref name="error"/> (unwrapped) is libvips' or OpenSlide's failure to decode a file.</summary>
    public static bool IsDecodeFailure(Exception error) => Unwrap(error) is VipsException or OpenSlideException;

    /// <summary>
    /// "image '<paramref name="path"/>' is truncated or corrupt: reason", the reason being libvips' or OpenSlide's own
    /// message (on one line); the original failure is the inner exception.
    /// </summary>
    public static InvalidDataException Corrupt(string path, Exception error)
    {
        ArgumentNullException.ThrowIfNull(path);
        var cause = Unwrap(error);
        string reason = cause switch
        {
            VipsException vips when !string.IsNullOrWhiteSpace(vips.NativeMessage) => vips.NativeMessage,
            OpenSlideException slide when !string.IsNullOrWhiteSpace(slide.NativeMessage) => slide.NativeMessage,
            _ => cause.Message,
        };
        reason = string.Join("; ", LineBreaks().Split(reason).Select(l => l.Trim()).Where(l => l.Length > 0).Distinct());
        return new InvalidDataException($"image '{path}' is truncated or corrupt: {reason}", cause);
    }

    [GeneratedRegex(@"[\r\n]+")]
    private static partial Regex LineBreaks();
}
