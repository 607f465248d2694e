using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// The image tests that measure the process's memory or change <see cref="SlideLimits.MaxDecodedMegapixels"/> run alone,
/// so no other test's allocations or images blur what they see.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ImageFailureCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "Image failures (memory measured)";
}

/// <summary>
/// Truncated and corrupt images and pixel bombs read through LoadPatches and FilterBackgroundSpots: one
/// <see cref="InvalidDataException"/> naming the file and the reason (never an <see cref="AggregateException"/>), no
/// failed slide kept in the shared cache, and bombs refused from their header before a pixel is decoded.
/// </summary>
[Collection(ImageFailureCollection.Name)]
public class ImageFailureTests
{
    private const long MemoryBudget = 200L << 20;
    private static readonly MLContext Ml = SeededContext.Create(3);

    /// <summary>A real 256×192 noisy JPEG (written by ML.NET's MLImage), the material of the damaged files.</summary>
    private static byte[] SmallJpeg(TempFolder folder)
    {
        const int width = 256, height = 192;
        var random = new Random(5);
        var rgba = new byte[width * height * 4];
        for (int i = 0; i < width * height; i++)
        {
            rgba[4 * i] = (byte)(170 + random.Next(70));
            rgba[4 * i + 1] = (byte)(80 + random.Next(90));
            rgba[4 * i + 2] = (byte)(140 + random.Next(80));
            rgba[4 * i + 3] = 255;
        }
        string path = folder.File("source.jpg");
        using (var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, rgba)) image.Save(path);
        return File.ReadAllBytes(path);
    }

    /// <summary>The JPEG with its frame header (SOF0–SOF2) patched to say <paramref name="width"/>×<paramref name="height"/>.</summary>
    private static byte[] WithJpegSize(byte[] jpeg, int width, int height)
    {
        var bytes = (byte[])jpeg.Clone();
        int i = 2;
        while (true)
        {
            Assert.Equal(0xFF, bytes[i]);
            int marker = bytes[i + 1], length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(i + 2));
            if (marker is 0xC0 or 0xC1 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i + 7), (ushort)width);
                return bytes;
            }
            i += 2 + length;
        }
    }

    /// <summary>
    /// A PNG whose IHDR (valid CRC) says <paramref name="width"/>×<paramref name="height"/> RGB, with a small IDAT of 64 real
    /// rows of 64 pixels — a pixel bomb when the size is large, an image with too little data when it is not.
    /// </summary>
    private static byte[] Png(int width, int height)
    {
        var raw = new MemoryStream();
        for (int y = 0; y < 64; y++)
        {
            raw.WriteByte(0);   // filter: none
            for (int x = 0; x < 64; x++) raw.Write([(byte)(150 + x), (byte)(60 + y), 170]);
        }
        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw.ToArray());
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
        header[8] = 8;   // bit depth
        header[9] = 2;   // colour type: RGB
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)data.Length);
        png.Write(length);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.Write(crc);
    }

    /// <summary>CRC-32 (ISO-HDLC, as PNG uses), bitwise.</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void Crc32_MatchesTheStandardCheckValue() =>
        Assert.Equal(0xCBF43926u, Crc32("123456789"u8));

    /// <summary>Many spots over the whole image, so the patches are read by the parallel loop.</summary>
    private static InMemoryDataView ManySpots(string image) => PatchAndFeatureTests.Spots(image, 1.0,
        [.. Enumerable.Range(0, 48).Select(i => (10.0 + i % 8 * 30, 10.0 + i / 8 * 30))]);

    private static Exception? LoadPatches(string image) => Record.Exception(() =>
    {
        var data = ManySpots(image);
        Ml.Transforms.LoadPatches("Patch", "Image", 16, 16).Fit(data).Transform(data).ReadBatches(["Patch"]).ToList();
    });

    [Fact]
    public void TruncatedJpeg_LoadPatches_IsOneInvalidDataExceptionNamingTheFileAndTheReason()
    {
        using var folder = new TempFolder();
        var jpeg = SmallJpeg(folder);
        string path = folder.File("half.jpg");
        File.WriteAllBytes(path, jpeg[..(jpeg.Length / 2)]);

        var error = LoadPatches(path);

        var invalid = Assert.IsType<InvalidDataException>(error);
        Assert.Contains($"image '{path}' is truncated or corrupt: ", invalid.Message);
        Assert.Contains("Premature end of input file", invalid.Message);   // libvips' reason
        Assert.DoesNotContain('\n', invalid.Message);
        Assert.IsType<VipsException>(invalid.InnerException);
        Assert.False(SlideCache.Shared.IsOpen(path), "a slide that failed to decode must not stay in the cache");
        // Read again: the same clear error, from a fresh open (not a half-decoded image shared from the first try).
        Assert.Equal(invalid.Message, Assert.IsType<InvalidDataException>(LoadPatches(path)).Message);
        Assert.False(SlideCache.Shared.IsOpen(path));
    }

    [Fact]
    public void TruncatedJpeg_FilterBackgroundSpots_IsOneInvalidDataExceptionNamingTheFile()
    {
        using var folder = new TempFolder();
        var jpeg = SmallJpeg(folder);
        string path = folder.File("half.jpg");
        File.WriteAllBytes(path, jpeg[..(jpeg.Length / 2)]);
        var data = ManySpots(path);

        var error = Record.Exception(() =>
            Ml.Transforms.FilterBackgroundSpots(sizeMicrons: 16).Fit(data).Transform(data).ReadBatches(["PixelX"]).ToList());

        var invalid = Assert.IsType<InvalidDataException>(error);
        Assert.Contains($"image '{path}' is truncated or corrupt: ", invalid.Message);
        Assert.Contains("Premature end of input file", invalid.Message);
        Assert.False(SlideCache.Shared.IsOpen(path));
    }

    [Fact]
    public void NotAnImage_LoadPatches_IsAnInvalidDataExceptionNamingTheFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("he.jpg");
        File.WriteAllBytes(path, [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, .. Encoding.ASCII.GetBytes("garbage, not a JPEG at all")]);
        var invalid = Assert.IsType<InvalidDataException>(LoadPatches(path));
        Assert.Contains($"image '{path}' is truncated or corrupt: ", invalid.Message);
        Assert.False(SlideCache.Shared.IsOpen(path));
    }

    [Fact]
    public void JpegWithTooLittleScanData_IsAnErrorNotABlankImage()
    {
        // The header says 2000×1500 (3 Mpx, well under the limit) but the scan only covers 256×192: libjpeg merely warns
        // and fills the rest grey; predictions from that grey would be silently wrong.
        using var folder = new TempFolder();
        string path = folder.File("short.jpg");
        File.WriteAllBytes(path, WithJpegSize(SmallJpeg(folder), 2000, 1500));
        var invalid = Assert.IsType<InvalidDataException>(LoadPatches(path));
        Assert.Contains($"image '{path}' is truncated or corrupt: ", invalid.Message);
        Assert.Contains("premature end of data segment", invalid.Message);
        Assert.False(SlideCache.Shared.IsOpen(path));
    }

    [Fact]
    public void PngWithTooLittleImageData_IsAnErrorNotABlankImage()
    {
        using var folder = new TempFolder();
        string path = folder.File("short.png");
        File.WriteAllBytes(path, Png(2000, 1500));
        var invalid = Assert.IsType<InvalidDataException>(LoadPatches(path));
        Assert.Contains($"image '{path}' is truncated or corrupt: ", invalid.Message);
        Assert.False(SlideCache.Shared.IsOpen(path));
    }

    [Fact]
    public void ValidSmallPng_StillLoads()
    {
        using var folder = new TempFolder();
        string path = folder.File("ok.png");
        File.WriteAllBytes(path, Png(64, 64));
        var data = PatchAndFeatureTests.Spots(path, 1.0, (32, 32));
        var patch = Ml.Transforms.LoadPatches("Patch", "Image", 8, 8).Fit(data).Transform(data).ReadBatches(["Patch"]).Single().GetFloats("Patch");
        Assert.Equal((150 + 32) / 255f, patch[4 * 8 + 4], 1);
    }

    [Fact]
    public void JpegPixelBomb_IsRefusedFromItsHeaderBeforeDecoding()
    {
        using var folder = new TempFolder();
        string path = folder.File("bomb.jpg");
        File.WriteAllBytes(path, WithJpegSize(SmallJpeg(folder), 60000, 60000));
        AssertBombRefused(path);
    }

    [Fact]
    public void PngPixelBomb_IsRefusedFromItsHeaderBeforeDecoding()
    {
        using var folder = new TempFolder();
        string path = folder.File("bomb.png");
        File.WriteAllBytes(path, Png(60000, 60000));
        AssertBombRefused(path);
    }

    [Fact]
    public void PixelBomb_FilterBackgroundSpots_IsRefusedToo()
    {
        using var folder = new TempFolder();
        string path = folder.File("bomb.png");
        File.WriteAllBytes(path, Png(60000, 60000));
        var data = ManySpots(path);
        var (error, peak, managed) = Measure(() =>
            Ml.Transforms.FilterBackgroundSpots(sizeMicrons: 16).Fit(data).Transform(data).ReadBatches(["PixelX"]).ToList());
        var invalid = Assert.IsType<InvalidDataException>(error);
        Assert.Contains("60000×60000", invalid.Message);
        Assert.InRange(peak, long.MinValue, MemoryBudget);
        Assert.InRange(managed, 0, MemoryBudget);
    }

    private static void AssertBombRefused(string path)
    {
        var (error, peak, managed) = Measure(() =>
        {
            var data = ManySpots(path);
            Ml.Transforms.LoadPatches("Patch", "Image", 16, 16).Fit(data).Transform(data).ReadBatches(["Patch"]).ToList();
        });
        var invalid = Assert.IsType<InvalidDataException>(error);
        Assert.Contains($"image '{path}' is 60000×60000 px (3600 Mpx", invalid.Message);
        Assert.Contains("limit of 150 Mpx", invalid.Message);
        Assert.Contains("refused before decoding", invalid.Message);
        Assert.Contains(SlideLimits.EnvironmentVariable, invalid.Message);
        Assert.False(SlideCache.Shared.IsOpen(path));
        // 60000² RGB is 10.8 GB: the process must not have come near decoding it.
        Assert.InRange(peak, long.MinValue, MemoryBudget);
        Assert.InRange(managed, 0, MemoryBudget);
    }

    /// <summary>
    /// Runs <paramref name="action"/>; returns what it threw, how far the peak resident set rose above the resident set
    /// before it (peak reset through /proc/self/clear_refs; native allocations count), and the managed bytes allocated.
    /// </summary>
    private static (Exception? Error, long PeakRise, long ManagedAllocated) Measure(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = Status("VmRSS");
        File.WriteAllText("/proc/self/clear_refs", "5");   // resets VmHWM to the current RSS (Linux ≥ 4.0)
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var error = Record.Exception(action);
        long managed = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        return (error, Status("VmHWM") - before, managed);
    }

    private static long Status(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException($"/proc/self/status has no {field}.");
    }

    [Fact]
    public void Limit_IsSettableAndApplies()
    {
        using var folder = new TempFolder();
        string ppm = ImagingTests.CoordinateImage(folder);   // 200×150 = 0.03 Mpx, decoded whole
        double saved = SlideLimits.MaxDecodedMegapixels;
        try
        {
            SlideLimits.MaxDecodedMegapixels = 0.02;
            var invalid = Assert.Throws<InvalidDataException>(() => VipsImage.Open(ppm));
            Assert.Equal(
                $"image '{ppm}' is 200×150 px (0.03 Mpx, 0.1 MB as RGB), more than the limit of 0.02 Mpx for images decoded whole " +
                "into memory; refused before decoding. If the image is genuine, convert it to a tiled pyramidal TIFF (read region by " +
                $"region, not limited) or raise the limit with {SlideLimits.EnvironmentVariable}=<megapixels>.",
                invalid.Message);
            Assert.IsType<InvalidDataException>(LoadPatches(ppm));
            Assert.False(SlideCache.Shared.IsOpen(ppm));

            SlideLimits.MaxDecodedMegapixels = 0.03;   // exactly its size: allowed
            using (var image = VipsImage.Open(ppm)) Assert.Equal(200, image.Width);
        }
        finally
        {
            SlideLimits.MaxDecodedMegapixels = saved;
        }
        Assert.Equal(SlideLimits.DefaultMaxDecodedMegapixels, saved);
        Assert.Throws<ArgumentOutOfRangeException>(() => SlideLimits.MaxDecodedMegapixels = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => SlideLimits.MaxDecodedMegapixels = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => SlideLimits.MaxDecodedMegapixels = double.NaN);
    }

    [Fact]
    public void Limit_DoesNotApplyToTiff_ReadRegionByRegion()
    {
        using var folder = new TempFolder();
        string tiff = WholeSlideTests.Pyramid(folder);
        double saved = SlideLimits.MaxDecodedMegapixels;
        try
        {
            SlideLimits.MaxDecodedMegapixels = 0.001;
            using var slide = SlideOpener.Open(tiff);
            var rgb = new byte[4 * 4 * 3];
            Assert.True(slide.Levels[0].Width * (long)slide.Levels[0].Height > 1000);
            slide.ReadRgb(0, 10, 20, 4, 4, rgb);
            var data = PatchAndFeatureTests.Spots(tiff, 1.0, (40, 40));
            Assert.Single(Ml.Transforms.LoadPatches("Patch", "Image", 16, 16).Fit(data).Transform(data).ReadBatches(["Patch"]));
        }
        finally
        {
            SlideLimits.MaxDecodedMegapixels = saved;
        }
    }
}
