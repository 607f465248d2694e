using MlNetStem.Torch.Interop;

namespace MlNetStem.Torch;

/// <summary>
/// An explicitly seeded random number generator (libtorch's CPU Philox/MT generator). Numbers are
/// drawn on the CPU and then moved, so a seed yields the same values on every device.
/// Not thread-safe: give each thread its own generator.
/// </summary>
public sealed class Generator : IDisposable
{
    private readonly GeneratorHandle _handle;

    /// <summary>Creates a generator with the given seed.</summary>
    public Generator(ulong seed)
    {
        Status.Check(NativeMethods.mst_generator_new(seed, out var ptr), "generator_new");
        _handle = new GeneratorHandle(ptr);
        Seed = seed;
    }

    /// <summary>The seed last set.</summary>
    public ulong Seed { get; private set; }

    internal GeneratorHandle Handle =>
        _handle.IsClosed ? throw new ObjectDisposedException(nameof(Generator)) : _handle;

    /// <summary>Restarts the sequence from <paramref name="seed"/>.</summary>
    /// <exception cref="ObjectDisposedException">The generator was disposed.</exception>
    public void SetSeed(ulong seed)
    {
        Status.Check(NativeMethods.mst_generator_set_seed(Handle, seed), "generator_set_seed");
        Seed = seed;
    }

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();
}
