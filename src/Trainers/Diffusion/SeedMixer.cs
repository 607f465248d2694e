namespace MlNetStem.Trainers.Diffusion;

/// <summary>Derives independent 64-bit seeds from (seed, index, stream) with SplitMix64, so each epoch and each spot
/// has its own reproducible random stream.</summary>
internal static class SeedMixer
{
    public static ulong Mix(long seed, long index, long stream)
    {
        ulong z = (ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)index * 0xBF58476D1CE4E5B9UL ^ (ulong)stream * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
