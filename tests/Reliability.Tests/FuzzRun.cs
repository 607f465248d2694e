using System.Diagnostics;
using MlNetStem.Data;
using MlNetStem.Hdf5;
using MlNetStem.Model;
using MlNetStem.Onnx;
using Xunit.Abstractions;

namespace MlNetStem.Reliability.Tests;

/// <summary>
/// Runs seeded mutations of one input family through the reader the CLI uses and tallies the outcomes. A "bug" is an
/// exception the CLI does not report as bad input (it would crash with a stack trace), or a read that allocates more than
/// the memory bound.
/// </summary>
internal static class FuzzRun
{
    /// <summary>Most managed memory one mutated input may allocate while it is read.</summary>
    public const long AllocationBound = 1L << 30;

    /// <summary>Exceptions the CLI reports as bad input (exit 1, one line): src/Host/Program.cs.</summary>
    public static bool IsClearError(Exception e) => e is IOException or InvalidDataException or ArgumentException or ModelFormatException
        or SchemaMismatchException or UnauthorizedAccessException or NotSupportedException or InvalidOperationException
        or Hdf5Exception or AnnData.AnnDataFormatException or OnnxRuntimeException;

    public static Dictionary<FuzzOutcome, int> Run(string family, byte[] original, int cases, int seed, Action<byte[]> read,
        ITestOutputHelper output, List<string> bugs, TimeSpan? hangLimit = null, List<string>? hangs = null)
    {
        var counts = Enum.GetValues<FuzzOutcome>().ToDictionary(o => o, _ => 0);
        var random = new Random(seed);
        for (int i = 0; i < cases; i++)
        {
            var (bytes, description) = Mutator.Mutate(original, random);
            if (Environment.GetEnvironmentVariable("MLNETSTEM_FUZZ_TRACE") is not null) Console.Error.WriteLine($"{family} case {i}: {description}");
            long before = GC.GetTotalAllocatedBytes(precise: false);
            var outcome = FuzzOutcome.Accepted;
            try
            {
                if (hangLimit is { } limit && !RunWithin(() => read(bytes), limit))
                {
                    // The reader is stuck in native code, holding the library's lock: no further case can run.
                    counts[FuzzOutcome.Hang]++;
                    hangs?.Add($"{family} case {i} ({description}): no answer in {limit.TotalSeconds:0} s");
                    output.WriteLine($"{family}: case {i} ({description}) hung; the remaining {cases - i - 1} cases are not run");
                    break;
                }
                if (hangLimit is null) read(bytes);
            }
            catch (Exception e) when (IsClearError(e))
            {
                outcome = FuzzOutcome.ClearError;
            }
            catch (Exception e)
            {
                outcome = FuzzOutcome.Bug;
                bugs.Add($"{family} case {i} ({description}): {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            }
            long allocated = GC.GetTotalAllocatedBytes(precise: false) - before;
            if (allocated > AllocationBound)
            {
                outcome = FuzzOutcome.Bug;
                bugs.Add($"{family} case {i} ({description}): allocated {allocated >> 20} MB");
            }
            counts[outcome]++;
        }
        output.WriteLine($"{family}: {counts.Values.Sum()} of {cases} cases run (seed {seed}): {counts[FuzzOutcome.Accepted]} accepted, " +
            $"{counts[FuzzOutcome.ClearError]} clear errors, {counts[FuzzOutcome.Bug]} bugs, {counts[FuzzOutcome.Hang]} hangs");
        return counts;
    }

    /// <summary>Runs <paramref name="action"/> on a background thread; false when it has not finished within the limit
    /// (the thread is left behind: it dies with the test process). Exceptions are rethrown.</summary>
    private static bool RunWithin(Action action, TimeSpan limit)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true };
        thread.Start();
        if (!thread.Join(limit)) return false;
        if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
        return true;
    }
}
