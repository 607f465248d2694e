using System.Runtime.ExceptionServices;
using MlNetStem.Data;
using MlNetStem.Imaging;

namespace MlNetStem.Transforms.Imaging;

/// <summary>
/// The slides one cursor of an image-reading transform holds, leased from the process-wide <see cref="SlideCache"/> (a JPEG
/// decoded for one cursor is not decoded again for the next), and the parallel read over a batch that turns a decode
/// failure into one <see cref="InvalidDataException"/> naming the file and stops sharing that slide.
/// </summary>
internal sealed class SlideLeases(string component) : IDisposable
{
    private readonly Dictionary<string, SlideLease> _leases = new(StringComparer.Ordinal);

    /// <summary>The slide of <paramref name="reference"/> (row <paramref name="row"/> of the batch), opened on first use.</summary>
    /// <exception cref="InvalidDataException">The row has no image, or the file cannot be decoded.</exception>
    public ISlide Slide(SlideReference? reference, int row)
    {
        if (reference is null) throw new InvalidDataException($"{component}: row {row} of the batch has no image.");
        if (!_leases.TryGetValue(reference.Path, out var lease))
        {
            try
            {
                lease = SlideCache.Shared.Acquire(reference.Path);
            }
            catch (Exception e) when (SlideErrors.IsDecodeFailure(e))
            {
                throw SlideErrors.Corrupt(reference.Path, e);
            }
            _leases[reference.Path] = lease;
        }
        return lease.Slide;
    }

    /// <summary>
    /// The µm per pixel of <paramref name="reference"/>'s slide: <paramref name="given"/>, else the data's, else the file's.
    /// </summary>
    /// <exception cref="InvalidDataException">None is known; <paramref name="why"/> says what needs it.</exception>
    public double MicronsPerPixel(SlideReference reference, ISlide slide, double? given, string why) =>
        given ?? reference.MicronsPerPixel ?? slide.MicronsPerPixel ?? throw new InvalidDataException(
            $"{component}: image '{reference.Path}' has no microns-per-pixel (neither the data nor the file records one) " +
            $"and none was given; {why} (set MicronsPerPixel).");

    /// <summary>
    /// Runs <paramref name="read"/> for items 0 … <paramref name="count"/> − 1 in parallel (capped by <see cref="ComputeThreads"/>);
    /// a slide that fails to decode is invalidated (the next reader opens the file afresh) and reported as one
    /// <see cref="InvalidDataException"/>, not the parallel loop's wrapper (which would escape a CLI's handlers).
    /// </summary>
    /// <param name="count">Items to read.</param>
    /// <param name="pathOf">The slide path item i reads.</param>
    /// <param name="read">The read of item i.</param>
    public void ReadParallel(int count, Func<int, string> pathOf, Action<int> read)
    {
        try
        {
            Parallel.For(0, count, ComputeThreads.ParallelOptions, i =>
            {
                try
                {
                    read(i);
                }
                catch (Exception e) when (SlideErrors.IsDecodeFailure(e))
                {
                    string path = pathOf(i);
                    if (_leases.TryGetValue(path, out var lease)) lease.Invalidate();
                    throw SlideErrors.Corrupt(path, e);
                }
            });
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Throw(SlideErrors.Unwrap(e));
        }
    }

    /// <summary>Returns every lease to the cache.</summary>
    public void Dispose()
    {
        foreach (var lease in _leases.Values) lease.Dispose();
        _leases.Clear();
    }
}
