using MlNetStem.Torch.Interop;

namespace MlNetStem.Torch;

/// <summary>
/// Explicit CPU thread settings for libtorch. libtorch's OpenMP pool and OpenBLAS's own
/// pthreads pool both default to one thread per core and oversubscribe small machines; on the
/// 2-core build machine a small DiT step ran twice as fast with one thread (see
/// bench/TorchBench/README.md). Call <see cref="Set"/> once at start-up, before heavy work:
/// 1 on 2-core machines and for small models; about the number of physical cores for big
/// matrices (≥ 1024) on larger machines.
/// </summary>
public static class TorchThreads
{
    /// <summary>Sets libtorch's intra-op thread count and, when libtorch uses OpenBLAS, OpenBLAS's too.</summary>
    /// <param name="intraOp">Threads per operation, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="intraOp"/> is below 1.</exception>
    public static void Set(int intraOp)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(intraOp, 1);
        Status.Check(NativeMethods.mst_set_num_threads(intraOp), "set_num_threads");
    }

    /// <summary>libtorch's current intra-op thread count.</summary>
    public static int Get()
    {
        Status.Check(NativeMethods.mst_get_num_threads(out var n), "get_num_threads");
        return n;
    }

    /// <summary>The libtorch version the shim was compiled against, e.g. 1.13.1.</summary>
    public static Version LibTorchVersion
    {
        get
        {
            Status.Check(NativeMethods.mst_version(out var major, out var minor, out var patch), "version");
            return new Version(major, minor, patch);
        }
    }
}
