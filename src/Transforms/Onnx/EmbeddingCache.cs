using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MlNetStem.Transforms.Onnx;

/// <summary>
/// Embeddings on disk, one file per (encoder, patch). The key hashes the patch pixels rather
/// than the slide and spot geometry: the pixels are what the encoder sees, so the key covers
/// the slide, the spot position, the physical size, the resampling and any upstream colour
/// transform without knowing about any of them, and it can never serve a stale entry when one
/// of those changes. Files are written atomically (temporary file + rename) and carry a
/// checksum, so a torn or corrupt file is detected, ignored and rewritten.
/// </summary>
/// <remarks>File layout: "MSEM", int32 count, count float32 (little-endian), first 8 bytes of SHA-256 of the floats.</remarks>
internal sealed class EmbeddingCache(string directory)
{
    private const int FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "MSEM"u8;

    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>The part of every key that depends on the encoder and its preprocessing, not on the patch.</summary>
    public static byte[] EncoderKey(OnnxEncoderSpec spec)
    {
        var text = string.Join("|",
            $"FeaturizeOnnx cache v{FormatVersion}", spec.Sha256, spec.InputName, spec.OutputName, spec.Pooling,
            spec.Height?.ToString(CultureInfo.InvariantCulture) ?? "patch", spec.Width?.ToString(CultureInfo.InvariantCulture) ?? "patch",
            string.Join(",", spec.Mean.Select(m => m.ToString("R", CultureInfo.InvariantCulture))),
            string.Join(",", spec.Std.Select(s => s.ToString("R", CultureInfo.InvariantCulture))), spec.Channels);
        return SHA256.HashData(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Hash of one patch's shape and pixel values.</summary>
    public static byte[] PatchKey(ReadOnlySpan<float> pixels, int height, int width)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> shape = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(shape, height);
        BinaryPrimitives.WriteInt32LittleEndian(shape[4..], width);
        hash.AppendData(shape);
        hash.AppendData(MemoryMarshal.AsBytes(pixels));
        return hash.GetHashAndReset();
    }

    /// <summary>The file name of one entry: SHA-256 of the encoder key and the patch key.</summary>
    public static string EntryKey(byte[] encoderKey, byte[] patchKey)
    {
        Span<byte> both = stackalloc byte[encoderKey.Length + patchKey.Length];
        encoderKey.CopyTo(both);
        patchKey.CopyTo(both[encoderKey.Length..]);
        return Convert.ToHexStringLower(SHA256.HashData(both));
    }

    /// <summary>Reads an entry into <paramref name="destination"/>; false when absent, short, corrupt or unreadable.</summary>
    public bool TryRead(string key, Span<float> destination)
    {
        byte[] bytes;
        try
        {
            string path = PathOf(key);
            if (!File.Exists(path)) return false;
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        int payload = destination.Length * sizeof(float);
        if (bytes.Length != 8 + payload + 8 || !bytes.AsSpan(0, 4).SequenceEqual(Magic) ||
            BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)) != destination.Length)
            return false;
        var floats = bytes.AsSpan(8, payload);
        Span<byte> check = stackalloc byte[32];
        SHA256.HashData(floats, check);
        if (!check[..8].SequenceEqual(bytes.AsSpan(8 + payload, 8))) return false;
        MemoryMarshal.Cast<byte, float>(floats).CopyTo(destination);
        return true;
    }

    /// <summary>Writes an entry atomically, replacing whatever was there.</summary>
    /// <exception cref="IOException">The cache folder cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The cache folder cannot be written.</exception>
    public void Write(string key, ReadOnlySpan<float> values)
    {
        string path = PathOf(key);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[8 + values.Length * sizeof(float) + 8];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), values.Length);
        var floats = bytes.AsSpan(8, values.Length * sizeof(float));
        MemoryMarshal.AsBytes(values).CopyTo(floats);
        Span<byte> check = stackalloc byte[32];
        SHA256.HashData(floats, check);
        check[..8].CopyTo(bytes.AsSpan(8 + floats.Length));
        string temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Full path of an entry (two-level fan-out keeps folders small).</summary>
    public string PathOf(string key) => Path.Combine(Directory, key[..2], key + ".f32");
}
