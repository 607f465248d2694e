using System.Buffers.Binary;
using System.IO.Compression;

namespace MlNetStem.Data;

/// <summary>
/// Decompresses a gzip file and verifies what .NET's <see cref="GZipStream"/> does not: that the data ends with a complete
/// member. GZipStream returns end-of-stream silently when the compressed data simply stops (at a flush point, or before
/// the 8-byte CRC-32/ISIZE trailer), so a cut file would read as a shorter, valid table. Here the CRC-32 and length of
/// everything decompressed are compared with the file's trailer; a file of several members (bgzip, concatenated gzip) is
/// verified member by member.
/// </summary>
internal sealed class VerifiedGzipStream : Stream
{
    private const int TrailerLength = 8;
    private const int MinMemberLength = 18;   // 10-byte header, an empty deflate block would add 2, 8-byte trailer

    private readonly string _path;
    private readonly FileStream _file;
    private readonly GZipStream _gzip;
    private uint _crc = Crc32.Initial;
    private long _length;
    private bool _verified;

    private VerifiedGzipStream(string path, FileStream file)
    {
        _path = path;
        _file = file;
        _gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
    }

    /// <summary>Opens <paramref name="path"/> after checking the gzip signature.</summary>
    /// <exception cref="InvalidDataException">The file does not start with 1f 8b.</exception>
    public static VerifiedGzipStream Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            if (file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) < 2 || magic[0] != 0x1f || magic[1] != 0x8b)
                throw new InvalidDataException($"'{path}' is not gzip-compressed (no gzip signature).");
            file.Position = 0;
            return new VerifiedGzipStream(path, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = _gzip.Read(buffer);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{_path}' is damaged (its gzip data cannot be decompressed: {ex.Message})", ex);
        }
        if (n > 0)
        {
            _crc = Crc32.Update(_crc, buffer[..n]);
            _length += n;
        }
        else if (buffer.Length > 0 && !_verified)
        {
            Verify();
            _verified = true;
        }
        return n;
    }

    private void Verify()
    {
        long size = _file.Length;
        if (size >= MinMemberLength && TrailerMatches(size, Crc32.Finish(_crc), _length)) return;
        // Not one complete member: either several members (each with its own trailer) or a truncated file.
        if (!AllMembersComplete(size)) throw new InvalidDataException($"'{_path}' is truncated (gzip stream ends before its end marker).");
    }

    private bool TrailerMatches(long end, uint crc, long length)
    {
        Span<byte> trailer = stackalloc byte[TrailerLength];
        _file.Position = end - TrailerLength;
        _file.ReadExactly(trailer);
        return BinaryPrimitives.ReadUInt32LittleEndian(trailer) == crc && BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]) == (uint)length;
    }

    // Splits the file at gzip signatures and checks that every piece is one member whose trailer matches its data.
    private bool AllMembersComplete(long size)
    {
        long start = 0;
        while (start < size)
        {
            if (!HasSignature(start)) return false;
            bool found = false;
            for (long end = NextCandidate(start + MinMemberLength, size); end <= size; end = NextCandidate(end + 1, size))
            {
                if (MemberMatches(start, end)) { start = end; found = true; break; }
                if (end == size) break;
            }
            if (!found) return false;
        }
        return true;
    }

    private bool HasSignature(long at)
    {
        Span<byte> head = stackalloc byte[3];
        _file.Position = at;
        return _file.ReadAtLeast(head, 3, throwOnEndOfStream: false) == 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8;
    }

    // The next position >= from where a member could end: the end of the file or the start of another signature.
    private long NextCandidate(long from, long size)
    {
        if (from >= size) return size;
        var buffer = new byte[1 << 16];
        for (long at = from; at < size; at += buffer.Length - 2)
        {
            _file.Position = at;
            int n = _file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            for (int i = 0; i + 2 < n; i++)
                if (buffer[i] == 0x1f && buffer[i + 1] == 0x8b && buffer[i + 2] == 8) return at + i;
            if (n < buffer.Length) break;
        }
        return size;
    }

    private bool MemberMatches(long start, long end)
    {
        uint crc = Crc32.Initial;
        long length = 0;
        try
        {
            using var piece = new GZipStream(new SliceStream(_file, start, end), CompressionMode.Decompress);
            var buffer = new byte[1 << 16];
            int n;
            while ((n = piece.Read(buffer)) > 0)
            {
                crc = Crc32.Update(crc, buffer.AsSpan(0, n));
                length += n;
            }
        }
        catch (InvalidDataException)
        {
            return false;
        }
        return TrailerMatches(end, Crc32.Finish(crc), length);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip.Dispose();
            _file.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Bytes [start, end) of a seekable stream, read independently of its current position.</summary>
    private sealed class SliceStream(FileStream file, long start, long end) : Stream
    {
        private readonly long _start = start;
        private long _at = start;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int want = (int)Math.Min(buffer.Length, end - _at);
            if (want <= 0) return 0;
            file.Position = _at;
            int n = file.Read(buffer[..want]);
            _at += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => end - _start;
        public override long Position { get => _at - _start; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
