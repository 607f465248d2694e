namespace MlNetStem.Reliability.Tests;

/// <summary>Seeded, bounded mutations of a file's bytes: truncation, flipped bytes, zeroed or duplicated spans.</summary>
internal static class Mutator
{
    public static (byte[] Bytes, string Description) Mutate(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        int kind = random.Next(5);
        switch (kind)
        {
            case 0:
            {
                int keep = random.Next(0, Math.Max(1, original.Length));
                return (bytes[..keep], $"truncated to {keep} of {original.Length} bytes");
            }
            case 1:
            {
                int flips = 1 + random.Next(8);
                for (int i = 0; i < flips; i++) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return (bytes, $"{flips} bit flip(s)");
            }
            case 2:
            {
                int start = random.Next(bytes.Length), length = Math.Min(bytes.Length - start, 1 + random.Next(64));
                Array.Clear(bytes, start, length);
                return (bytes, $"{length} bytes zeroed at {start}");
            }
            case 3:
            {
                int start = random.Next(bytes.Length), length = Math.Min(bytes.Length - start, 1 + random.Next(256));
                var duplicated = bytes[..(start + length)].Concat(bytes[start..(start + length)]).Concat(bytes[(start + length)..]).ToArray();
                return (duplicated, $"{length} bytes duplicated at {start}");
            }
            default:
            {
                int start = random.Next(bytes.Length), value = random.Next(256);
                int length = Math.Min(bytes.Length - start, 1 + random.Next(16));
                for (int i = 0; i < length; i++) bytes[start + i] = (byte)value;
                return (bytes, $"{length} bytes set to 0x{value:x2} at {start}");
            }
        }
    }
}
