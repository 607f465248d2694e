using System.Globalization;
using System.Text;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// One training checkpoint file <c>stem-epoch{E:000000}.ckpt</c>: "STEMCKPT", int32 version, int32 epoch, the run's
/// fingerprint (UTF-8 JSON of everything that must match to resume), then the model, EMA and optimizer state dicts
/// (int64 length + bytes each). Written to a temporary name and renamed, so a crash never leaves a partial file.
/// Random state is not stored: every epoch's generators are derived from the seed and the epoch number.
/// </summary>
internal sealed record TrainingCheckpoint(int Epoch, string Fingerprint, byte[] Model, byte[] Ema, byte[] Optimizer)
{
    private const string Magic = "STEMCKPT";
    private const int FormatVersion = 1;
    private const string Prefix = "stem-epoch";
    private const string Extension = ".ckpt";

    public static string PathFor(string directory, int epoch) =>
        Path.Combine(directory, Prefix + epoch.ToString("D6", CultureInfo.InvariantCulture) + Extension);

    /// <summary>The checkpoint with the highest epoch in <paramref name="directory"/>, or null.</summary>
    public static string? FindLatest(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        return Directory.EnumerateFiles(directory, Prefix + "*" + Extension)
            .Select(p => (Path: p, Epoch: int.TryParse(Path.GetFileNameWithoutExtension(p).AsSpan(Prefix.Length),
                NumberStyles.None, CultureInfo.InvariantCulture, out int e) ? e : -1))
            .Where(p => p.Epoch >= 0)
            .OrderByDescending(p => p.Epoch)
            .Select(p => p.Path)
            .FirstOrDefault();
    }

    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        string path = PathFor(directory, Epoch);
        string temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        using (var writer = new BinaryWriter(stream, Encoding.UTF8))
        {
            writer.Write(Encoding.ASCII.GetBytes(Magic));
            writer.Write(FormatVersion);
            writer.Write(Epoch);
            writer.Write(Fingerprint);
            foreach (var blob in new[] { Model, Ema, Optimizer })
            {
                writer.Write((long)blob.Length);
                writer.Write(blob);
            }
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        // Keep the newest two: the previous one still helps if this one is lost with the disk.
        foreach (var old in Directory.EnumerateFiles(directory, Prefix + "*" + Extension).Order(StringComparer.Ordinal).SkipLast(2).ToArray())
            File.Delete(old);
    }

    /// <exception cref="InvalidDataException">The file is not a complete checkpoint of this format.</exception>
    public static TrainingCheckpoint Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            if (Encoding.ASCII.GetString(reader.ReadBytes(Magic.Length)) != Magic)
                throw new InvalidDataException($"'{path}' is not a Stem training checkpoint.");
            int version = reader.ReadInt32();
            if (version != FormatVersion)
                throw new InvalidDataException($"'{path}' has checkpoint format {version}; this build reads {FormatVersion}.");
            int epoch = reader.ReadInt32();
            string fingerprint = reader.ReadString();
            var blobs = new byte[3][];
            for (int i = 0; i < 3; i++)
            {
                long length = reader.ReadInt64();
                if (length < 0 || length > stream.Length - stream.Position)
                    throw new InvalidDataException($"'{path}' is truncated.");
                blobs[i] = reader.ReadBytes((int)length);
            }
            return new TrainingCheckpoint(epoch, fingerprint, blobs[0], blobs[1], blobs[2]);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"'{path}' is truncated.", e);
        }
    }
}
