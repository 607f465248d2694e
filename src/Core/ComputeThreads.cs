namespace MlNetStem;

/// <summary>
/// A process-wide cap on the CPU threads MlNetStem's own parallel loops, ONNX Runtime sessions, libvips and the
/// diffusion trainers' data-parallel workers use (<c>--threads N</c> on the command line). Unset, each uses every core.
/// Set it once at start-up, before the first image is opened or session created; later changes reach new work only.
/// </summary>
public static class ComputeThreads
{
    private static int _limit;

    /// <summary>The cap, or null when none was set.</summary>
    public static int? Limit => _limit > 0 ? _limit : null;

    /// <summary>Threads to use: the cap, or the processor count.</summary>
    public static int Count => Limit ?? Environment.ProcessorCount;

    /// <summary>Options for <see cref="Parallel"/> loops that honour the cap.</summary>
    public static ParallelOptions ParallelOptions => new() { MaxDegreeOfParallelism = Limit ?? -1 };

    /// <summary>Caps the threads at <paramref name="threads"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Below 1 or above 1024.</exception>
    public static void SetLimit(int threads)
    {
        if (threads is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Threads must be 1–1024.");
        _limit = threads;
    }
}
