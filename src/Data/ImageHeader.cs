using System.Buffers.Binary;
using System.Text;

namespace MlNetStem.Data;

/// <summary>
/// Reads an image's pixel size from its header (PNG, JPEG, TIFF/BigTIFF first directory, PPM/PGM)
/// without decoding it, so loaders can check spot coordinates against the image bounds without
/// depending on the imaging layer.
/// </summary>
internal static class ImageHeader
{
    /// <summary>Width and height, or null when the format is not recognised or the header is damaged.</summary>
    public static (long Width, long Height)? TryReadSize(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var head = new byte[32];
            int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (n >= 24 && head[0] == 0x89 && head[1] == (byte)'P' && head[2] == (byte)'N' && head[3] == (byte)'G')
                return (BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(16)), BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(20)));
            if (n >= 4 && head[0] == 0xFF && head[1] == 0xD8) return Jpeg(stream);
            if (n >= 8 && ((head[0] == 'I' && head[1] == 'I') || (head[0] == 'M' && head[1] == 'M'))) return Tiff(stream, head[0] == 'I');
            if (n >= 3 && head[0] == 'P' && head[1] is (byte)'5' or (byte)'6') return Pnm(stream);
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static (long, long)? Jpeg(Stream s)
    {
        s.Position = 2;
        Span<byte> b = stackalloc byte[5];
        while (true)
        {
            if (s.ReadByte() != 0xFF) return null;
            int marker;
            do marker = s.ReadByte(); while (marker == 0xFF);
            if (marker < 0 || marker is 0xD9 or 0xDA) return null;
            if (marker is 0x01 or (>= 0xD0 and <= 0xD8)) continue;   // markers without a length
            int hi = s.ReadByte(), lo = s.ReadByte();
            if (lo < 0) return null;
            int length = (hi << 8) | lo;
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
            {
                if (s.ReadAtLeast(b, 5, throwOnEndOfStream: false) < 5) return null;
                return (BinaryPrimitives.ReadUInt16BigEndian(b[3..5]), BinaryPrimitives.ReadUInt16BigEndian(b[1..3]));
            }
            if (length < 2) return null;
            s.Position += length - 2;
        }
    }

    private static (long, long)? Tiff(Stream s, bool little)
    {
        using var r = new BinaryReader(s, Encoding.ASCII, leaveOpen: true);
        s.Position = 2;
        int magic = U16(r, little);
        bool big = magic == 43;
        if (magic != 42 && !big) return null;
        long ifd;
        if (big)
        {
            s.Position = 8;
            ifd = (long)U64(r, little);
        }
        else ifd = U32(r, little);
        if (ifd <= 0 || ifd >= s.Length) return null;
        s.Position = ifd;
        long entries = big ? (long)U64(r, little) : U16(r, little);
        long width = -1, height = -1;
        for (long e = 0; e < entries && e < 4096; e++)
        {
            long entryStart = s.Position;
            int tag = U16(r, little), type = U16(r, little);
            if (big) U64(r, little); else U32(r, little);
            long value = type switch
            {
                3 => U16(r, little),
                4 => U32(r, little),
                16 => (long)U64(r, little),
                _ => -1,
            };
            if (tag == 256) width = value;
            else if (tag == 257) height = value;
            s.Position = entryStart + (big ? 20 : 12);
        }
        return width > 0 && height > 0 ? (width, height) : null;
    }

    private static (long, long)? Pnm(Stream s)
    {
        s.Position = 2;
        var numbers = new List<long>();
        var token = new StringBuilder();
        while (numbers.Count < 2)
        {
            int c = s.ReadByte();
            if (c < 0) return null;
            if (c == '#')
            {
                while (c >= 0 && c != '\n') c = s.ReadByte();
                continue;
            }
            if (char.IsWhiteSpace((char)c))
            {
                if (token.Length > 0) { numbers.Add(long.Parse(token.ToString(), System.Globalization.CultureInfo.InvariantCulture)); token.Clear(); }
                continue;
            }
            if (!char.IsAsciiDigit((char)c)) return null;
            token.Append((char)c);
        }
        return (numbers[0], numbers[1]);
    }

    private static int U16(BinaryReader r, bool little)
    {
        ushort v = r.ReadUInt16();
        return little == BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);
    }

    private static uint U32(BinaryReader r, bool little)
    {
        uint v = r.ReadUInt32();
        return little == BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);
    }

    private static ulong U64(BinaryReader r, bool little)
    {
        ulong v = r.ReadUInt64();
        return little == BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);
    }
}
