using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace MlNetStem.Hdf5;

/// <summary>
/// Finds the global heap corruption that makes libhdf5 1.10.8 loop forever, before the native library reads the file.
/// </summary>
/// <remarks>
/// Why: global heap collections ("GCOL" blocks) hold variable-length data such as string attributes. When libhdf5 parses a
/// collection it steps from one object record to the next by the record's own size; a record whose step is zero (a free
/// space record of size 0, e.g. where bytes were zeroed) or negative (a size so large the pointer wraps) never advances,
/// and <c>H5HG_read</c> spins forever holding the process-wide HDF5 lock. A native loop cannot be interrupted, so the file
/// is checked here with managed reads: each collection is walked exactly as libhdf5 walks it, and a walk that would not
/// advance is reported as a damaged file. The scan reads the whole file once (sequentially, at disk speed).
/// </remarks>
internal static class GlobalHeapCheck
{
    private static readonly byte[] Signature = "GCOL"u8.ToArray();
    private static readonly byte[] SuperblockSignature = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a];
    private const int ChunkBytes = 4 << 20;

    /// <summary>Throws <see cref="Hdf5Exception"/> when a global heap collection of the file would hang libhdf5.</summary>
    /// <param name="path">A full path to an existing file.</param>
    public static void ThrowIfDamaged(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long length = RandomAccess.GetLength(handle);
        int? lengthSize = SizeOfLengths(handle, length);
        if (lengthSize is not (2 or 4 or 8)) return;   // not HDF5, or a layout libhdf5 rejects itself
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes + Signature.Length);
        try
        {
            // Chunks overlap by 3 bytes so a signature split across two reads is still seen.
            for (long start = 0; start < length; start += ChunkBytes)
            {
                int read = ReadAt(handle, chunk.AsSpan(0, (int)Math.Min(ChunkBytes + Signature.Length - 1, length - start)), start);
                var span = chunk.AsSpan(0, read);
                for (int i = span.IndexOf(Signature); i >= 0 && i < ChunkBytes; )
                {
                    CheckCollection(handle, path, start + i, length, lengthSize.Value);
                    int next = span[(i + 1)..].IndexOf(Signature);
                    i = next < 0 ? -1 : i + 1 + next;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>Walks the collection at <paramref name="offset"/> as libhdf5's heap deserializer does.</summary>
    private static void CheckCollection(SafeFileHandle handle, string path, long offset, long fileLength, int lengthSize)
    {
        // Collection header: "GCOL", version 1, 3 reserved bytes, collection size (a length-sized field).
        int headerSize = 8 + lengthSize;
        if (offset + headerSize > fileLength) return;
        Span<byte> header = stackalloc byte[16];
        ReadAt(handle, header[..headerSize], offset);
        if (header[4] != 1 || header[5] != 0 || header[6] != 0 || header[7] != 0) return;   // not a collection
        ulong size = ReadLength(header[8..], lengthSize);
        // A collection running past the end of the file fails to load in libhdf5 (an error, not a loop).
        if (size < (ulong)headerSize || size > (ulong)(fileLength - offset) || size > int.MaxValue) return;
        byte[] collection = ArrayPool<byte>.Shared.Rent((int)size);
        try
        {
            var body = collection.AsSpan(0, (int)size);
            ReadAt(handle, body, offset);
            int recordHeader = 8 + lengthSize;   // index, reference count, 4 reserved bytes, object size
            ulong p = (ulong)headerSize;
            while (p < size)
            {
                if (p + (ulong)recordHeader > size) return;   // a tail too small for a record: free space
                var record = body[(int)p..];
                ushort index = BinaryPrimitives.ReadUInt16LittleEndian(record);
                ulong objectSize = ReadLength(record[8..], lengthSize);
                ulong step = unchecked(index > 0 ? (ulong)recordHeader + Align8(objectSize) : objectSize);
                if (step == 0 || step > long.MaxValue)
                    throw new Hdf5Exception(
                        $"'{path}' is damaged: the global heap at byte {offset} has a corrupt object record at byte {offset + (long)p} " +
                        $"(object {index}, size {objectSize}); libhdf5 would never finish reading it.",
                        "open file", path);
                p += step;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(collection);
        }
    }

    /// <summary>The superblock's "size of lengths" field, or null when no superblock is found where HDF5 looks for one.</summary>
    private static int? SizeOfLengths(SafeFileHandle handle, long length)
    {
        Span<byte> block = stackalloc byte[16];
        // HDF5 looks for the superblock at 0, 512, 1024, 2048, ... (after a user block).
        for (long at = 0; at + block.Length <= length; at = at == 0 ? 512 : at * 2)
        {
            ReadAt(handle, block, at);
            if (!block[..8].SequenceEqual(SuperblockSignature)) continue;
            byte version = block[8];
            return version <= 1 ? block[14] : block[10];
        }
        return null;
    }

    private static ulong Align8(ulong n) => unchecked((n + 7) / 8 * 8);

    private static ulong ReadLength(ReadOnlySpan<byte> bytes, int lengthSize) => lengthSize switch
    {
        2 => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
        4 => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
        _ => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
    };

    private static int ReadAt(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
