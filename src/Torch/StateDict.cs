using System.Text;

namespace MlNetStem.Torch;

/// <summary>
/// A small versioned binary format for named tensors, meant to live inside a zip model archive.
/// Layout (little-endian): magic "MSTSTATE", int32 format version, int32 entry count, then per
/// entry: int32 name byte length, UTF-8 name, int32 dtype (<see cref="DType"/> value), int32 rank,
/// int64 sizes[rank], int64 data byte length, raw row-major element bytes. Values round-trip bit-exactly.
/// </summary>
public static class StateDict
{
    /// <summary>The format version this build writes.</summary>
    public const int FormatVersion = 1;

    /// <summary>The oldest format version this build reads.</summary>
    public const int OldestReadableVersion = 1;

    private static readonly byte[] Magic = "MSTSTATE"u8.ToArray();
    private const int MaxNameBytes = 4096;
    private const int MaxRank = 32;

    /// <summary>One stored tensor before it becomes a native tensor.</summary>
    private sealed record Entry(string Name, DType DType, long[] Shape, byte[] Data);

    /// <summary>Writes <paramref name="entries"/> to <paramref name="stream"/> (which stays open).</summary>
    /// <exception cref="ArgumentException">A name is empty or repeated.</exception>
    public static void Save(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> entries)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(entries);
        EnsureLittleEndian();
        var list = entries.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in list)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("State dict names must be non-empty.", nameof(entries));
            if (!seen.Add(name)) throw new ArgumentException($"State dict name '{name}' appears twice.", nameof(entries));
            ArgumentNullException.ThrowIfNull(tensor, name);
        }

        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(FormatVersion);
        w.Write(list.Count);
        foreach (var (name, tensor) in list)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            w.Write(nameBytes.Length);
            w.Write(nameBytes);
            w.Write((int)tensor.DType);
            w.Write(tensor.Rank);
            foreach (var d in tensor.Shape) w.Write(d);
            var data = tensor.ToBytes();
            w.Write((long)data.Length);
            w.Write(data);
        }
    }

    /// <summary>Reads every entry as a new CPU tensor (owned by the caller, or by the current DisposeScope).</summary>
    /// <exception cref="InvalidDataException">The stream is not a state dict, has a newer version, or is truncated.</exception>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Load(Stream stream) =>
        Read(stream).Select(e => new KeyValuePair<string, Tensor>(e.Name, Tensor.FromBytes(e.Data, e.Shape, e.DType))).ToList();

    /// <summary>
    /// Copies a stored state into <paramref name="targets"/> in place. Every name, dtype and shape is
    /// checked before any target changes, so a mismatch leaves the targets untouched.
    /// </summary>
    /// <exception cref="InvalidDataException">Malformed or truncated stream, or names/dtypes/shapes that differ from the targets (all differences are listed).</exception>
    public static void LoadInto(Stream stream, IReadOnlyList<KeyValuePair<string, Tensor>> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var stored = Read(stream).ToDictionary(e => e.Name, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (name, t) in targets)
        {
            if (!stored.TryGetValue(name, out var e)) { problems.Add($"missing '{name}'"); continue; }
            if (e.DType != t.DType) problems.Add($"'{name}': stored {e.DType}, expected {t.DType}");
            if (!e.Shape.SequenceEqual(t.Shape))
                problems.Add($"'{name}': stored shape {ShapeRules.Format(e.Shape)}, expected {ShapeRules.Format(t.Shape)}");
        }
        var expected = targets.Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(stored.Keys.Where(k => !expected.Contains(k)).Select(k => $"unexpected '{k}'"));
        if (problems.Count > 0)
            throw new InvalidDataException("State dict does not match the model: " + string.Join("; ", problems) + ".");

        using var scope = Tensor.NewScope();
        foreach (var (name, t) in targets)
        {
            var e = stored[name];
            var src = Tensor.FromBytes(e.Data, e.Shape, e.DType);
            if (src.Device != t.Device) src = src.To(t.Device);
            t.CopyFrom(src);
        }
    }

    private static List<Entry> Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        EnsureLittleEndian();
        var where = "header";
        try
        {
            using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            var magic = r.ReadBytes(Magic.Length);
            if (magic.Length < Magic.Length) throw new EndOfStreamException();
            if (!magic.AsSpan().SequenceEqual(Magic))
                throw new InvalidDataException("Not a MlNetStem state dict (bad magic bytes).");
            var version = r.ReadInt32();
            if (version > FormatVersion || version < OldestReadableVersion)
                throw new InvalidDataException(
                    $"State dict format version {version} is not supported: this build reads versions {OldestReadableVersion}..{FormatVersion}.");
            var count = r.ReadInt32();
            if (count < 0) throw new InvalidDataException($"State dict declares a negative entry count ({count}).");
            var entries = new List<Entry>(Math.Min(count, 1 << 16));
            for (var i = 0; i < count; i++)
            {
                where = $"entry {i} of {count}";
                var nameLength = r.ReadInt32();
                if (nameLength <= 0 || nameLength > MaxNameBytes)
                    throw new InvalidDataException($"State dict {where}: invalid name length {nameLength}.");
                var name = Encoding.UTF8.GetString(ReadExactly(r, nameLength));
                where = $"entry {i} of {count} ('{name}')";
                var dtype = (DType)r.ReadInt32();
                if (!Enum.IsDefined(dtype)) throw new InvalidDataException($"State dict {where}: unknown dtype code {(int)dtype}.");
                var rank = r.ReadInt32();
                if (rank < 0 || rank > MaxRank) throw new InvalidDataException($"State dict {where}: invalid rank {rank}.");
                var shape = new long[rank];
                for (var k = 0; k < rank; k++)
                {
                    shape[k] = r.ReadInt64();
                    if (shape[k] < 0) throw new InvalidDataException($"State dict {where}: negative size in shape.");
                }
                var byteLength = r.ReadInt64();
                long expected;
                try { expected = checked(ShapeRules.Numel(shape) * Tensor.ElementSize(dtype)); }
                catch (OverflowException) { throw new InvalidDataException($"State dict {where}: shape {ShapeRules.Format(shape)} is too large."); }
                if (byteLength != expected)
                    throw new InvalidDataException(
                        $"State dict {where}: {byteLength} data bytes recorded, but {dtype} {ShapeRules.Format(shape)} needs {expected}.");
                // A corrupt length must not make us allocate gigabytes before noticing the end.
                if (stream.CanSeek && byteLength > stream.Length - stream.Position) throw new EndOfStreamException();
                if (byteLength > Array.MaxLength)
                    throw new InvalidDataException($"State dict {where}: tensor of {byteLength} bytes is too large.");
                entries.Add(new Entry(name, dtype, shape, ReadExactly(r, (int)byteLength)));
            }
            if (entries.Select(e => e.Name).Distinct(StringComparer.Ordinal).Count() != entries.Count)
                throw new InvalidDataException("State dict holds a name twice.");
            return entries;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"State dict is truncated: the stream ended inside the {where}.");
        }
    }

    private static byte[] ReadExactly(BinaryReader r, int count)
    {
        var bytes = new byte[count];
        r.BaseStream.ReadExactly(bytes);
        return bytes;
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("The state-dict format stores raw little-endian data.");
    }
}
