using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public class WholeSlideTests
{
    private static readonly MLContext Ml = SeededContext.Create(1);
    private const int Width = 1536, Height = 1024;

    /// <summary>
    /// Writes a PPM of smooth colour gradients (JPEG-friendly, coordinates readable from colour):
    /// a saturated pink "tissue" disc of radius 380 around (500, 512) on a near-white background.
    /// </summary>
    internal static string SourceImage(TempFolder folder, int width = Width, int height = Height)
    {
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int i = (y * width + x) * 3;
            bool tissue = (x - 500) * (x - 500) + (y - 512) * (y - 512) < 380 * 380;
            if (tissue)
            {
                rgb[i] = (byte)(140 + 90 * x / width); rgb[i + 1] = (byte)(50 + 100 * y / height); rgb[i + 2] = 160;
            }
            else
            {
                rgb[i] = (byte)(236 + 16 * x / width); rgb[i + 1] = (byte)(236 + 16 * y / height); rgb[i + 2] = 240;
            }
        }
        string path = folder.File("source.ppm");
        using var file = File.Create(path);
        file.Write(Encoding.ASCII.GetBytes($"P6\n{width} {height}\n255\n"));
        file.Write(rgb);
        return path;
    }

    /// <summary>Runs the vips CLI; a missing CLI fails the test (it is part of the setup, not optional).</summary>
    internal static void Vips(params string[] arguments)
    {
        (int Code, string Out, string Err) result;
        try { result = ChildProcess.Run("vips", arguments, TimeSpan.FromMinutes(2)); }
        catch (Win32Exception e)
        {
            Assert.Fail($"The vips command-line tool is missing ({e.Message}): run scripts/setup.sh (Debian package libvips-tools).");
            throw;
        }
        Assert.True(result.Code == 0, $"vips {string.Join(' ', arguments)} failed: {result.Err}");
    }

    /// <summary>Tiled JPEG pyramid (256² tiles) of <see cref="SourceImage"/>; 2000 px/mm = 0.5 µm/px unless told otherwise.</summary>
    internal static string Pyramid(TempFolder folder, double? pixelsPerMm = 2000, string name = "slide.tif")
    {
        string path = folder.File(name);
        var arguments = new List<string> { "tiffsave", SourceImage(folder), path, "--tile", "--pyramid", "--compression", "jpeg", "--Q", "90",
            "--tile-width", "256", "--tile-height", "256" };
        if (pixelsPerMm is { } r) arguments.AddRange(["--xres", $"{r}", "--yres", $"{r}"]);
        Vips([.. arguments]);
        return path;
    }

    private static byte[] Read(ISlide slide, int level, int left, int top, int w, int h)
    {
        var rgb = new byte[w * h * 3];
        slide.ReadRgb(level, left, top, w, h, rgb);
        return rgb;
    }

    private static double MeanAbsDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        Assert.Equal(a.Length, b.Length);
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
        return sum / a.Length;
    }

    [Fact]
    public void OpenSlide_TiledPyramid_ReportsLevelsDownsamplesAndMicronsPerPixel()
    {
        using var folder = new TempFolder();
        using var slide = OpenSlideSlide.Open(Pyramid(folder));
        Assert.Equal("generic-tiff", slide.Vendor);
        Assert.Equal(4, slide.Levels.Count);
        for (int i = 0; i < 4; i++)
            Assert.Equal(new SlideLevel(Width >> i, Height >> i, 1 << i), slide.Levels[i]);
        Assert.Equal(0.5, slide.MicronsPerPixel!.Value, 6);
        Assert.Equal("centimeter", slide.GetProperty("tiff.ResolutionUnit"));
        Assert.Null(slide.GetProperty("no.such.property"));
    }

    [Fact]
    public void VipsSlide_TiledPyramid_ReadsThePagesAsTheSameLevels()
    {
        using var folder = new TempFolder();
        string path = Pyramid(folder);
        using var vips = VipsSlide.Open(path);
        using var openSlide = OpenSlideSlide.Open(path);
        Assert.Equal(openSlide.Levels, vips.Levels);
        Assert.Equal(0.5, vips.MicronsPerPixel!.Value, 6);
    }

    [Fact]
    public void SlideOpener_ReadsPlainImagesAndGenericTiffWithLibvips_UnlessOpenSlideIsAskedFor()
    {
        using var folder = new TempFolder();
        string pyramid = Pyramid(folder);
        Assert.Equal(SlideOpener.GenericTiffVendor, OpenSlideSlide.DetectVendor(pyramid));
        using (var slide = SlideOpener.Open(pyramid)) Assert.IsType<VipsSlide>(slide);
        using (var slide = SlideOpener.Open(pyramid, SlideReader.OpenSlide)) Assert.IsType<OpenSlideSlide>(slide);
        using (var plain = SlideOpener.Open(folder.File("source.ppm")))
        {
            Assert.IsType<VipsSlide>(plain);
            Assert.Equal([new SlideLevel(Width, Height, 1)], plain.Levels);
            Assert.Null(plain.MicronsPerPixel);
        }
        Assert.Null(OpenSlideSlide.DetectVendor(folder.File("source.ppm")));
        Assert.ThrowsAny<IOException>(() => SlideOpener.Open(folder.File("source.ppm"), SlideReader.OpenSlide));
    }

    [Fact]
    public void OpenSlideRead_EqualsLibvipsRead_AndTheSourceWithinJpegTolerance()
    {
        using var folder = new TempFolder();
        string path = Pyramid(folder);
        using var openSlide = OpenSlideSlide.Open(path);
        using var vips = VipsSlide.Open(path);
        using var source = VipsImage.Open(folder.File("source.ppm"));
        for (int level = 0; level < 3; level++)
        {
            var a = Read(openSlide, level, 300 >> level, 200 >> level, 120, 90);
            var b = Read(vips, level, 300 >> level, 200 >> level, 120, 90);
            Assert.True(MeanAbsDifference(a, b) < 1.0, $"level {level}: OpenSlide and libvips decode the same tiles");
        }
        var fromSlide = Read(openSlide, 0, 700, 300, 128, 96);
        var original = new byte[128 * 96 * 3];
        source.ReadRgb(700, 300, 128, 96, original);
        Assert.True(MeanAbsDifference(fromSlide, original) < 3.0, "level 0 reproduces the source within JPEG error");
    }

    [Fact]
    public void OpenSlideRead_OutsideTheLevel_IsWhite()
    {
        using var folder = new TempFolder();
        using var slide = OpenSlideSlide.Open(Pyramid(folder));
        var level = slide.Levels[1];
        var rgb = Read(slide, 1, level.Width - 5, -5, 10, 10);
        Assert.Equal([255, 255, 255], rgb[0..3]);                        // (−5 above the top)
        int right = (6 * 10 + 7) * 3;                                     // right of the edge
        Assert.Equal([255, 255, 255], rgb[right..(right + 3)]);
        int inside = (6 * 10 + 2) * 3;                                     // level pixel (W−3, 1): background gradient
        Assert.InRange(rgb[inside], 236, 254);
        Assert.All(Read(slide, 0, -500, -500, 20, 20), b => Assert.Equal(255, b));
    }

    [Theory]
    [InlineData(0.25, 0)]     // finer than level 0: level 0
    [InlineData(1.0, 0)]
    [InlineData(1.9, 0)]      // never upsample from level 1
    [InlineData(2.0, 1)]
    [InlineData(3.9, 1)]      // beyond the 1 % tolerance of level 2
    [InlineData(4.0, 2)]
    [InlineData(4.02, 2)]     // within tolerance of level 2's 4.0 (odd-sized slides report 4.0002)
    [InlineData(1000, 3)]     // coarser than the pyramid: its coarsest level
    public void SelectLevel_PicksTheCoarsestLevelNotCoarserThanTheTarget(double downsample, int expected)
    {
        SlideLevel[] levels = [new(800, 800, 1), new(400, 400, 2), new(200, 200, 4.0002), new(100, 100, 8.0004)];
        Assert.Equal(expected, PatchSampler.SelectLevel(levels, downsample));
    }

    [Fact]
    public void SelectLevel_InMicrons_OnTheGeneratedSlide()
    {
        using var folder = new TempFolder();
        using var slide = SlideOpener.Open(Pyramid(folder));
        double mpp = slide.MicronsPerPixel!.Value;                     // 0.5
        int For(double microns, int pixels) => PatchSampler.SelectLevel(slide.Levels, microns / pixels / mpp);
        Assert.Equal(0, For(112, 224));   // 0.5 µm/px
        Assert.Equal(1, For(112, 112));   // 1 µm/px
        Assert.Equal(1, For(112, 64));    // 1.75 µm/px: level 1 (1 µm/px), not level 2 (2 µm/px)
        Assert.Equal(2, For(224, 112));   // 2 µm/px
        Assert.Equal(3, For(448, 56));    // 8 µm/px → level 3 is 4 µm/px
        Assert.Throws<ArgumentException>(() => PatchSampler.SelectLevel(slide.Levels, 0));
    }

    [Theory]
    [InlineData(SlideReader.OpenSlide)]
    [InlineData(SlideReader.Vips)]
    public void PatchSampler_OnACoarserLevel_MatchesDownsamplingTheSource(SlideReader reader)
    {
        using var folder = new TempFolder();
        using var slide = SlideOpener.Open(Pyramid(folder), reader);
        using var source = VipsImage.Open(folder.File("source.ppm"));
        var fromPyramid = new float[3 * 32 * 32];
        var fromSource = new float[3 * 32 * 32];
        // 128 level-0 px into 32 px: 4× → read from level 2 at identity scale.
        PatchSampler.Read(slide, 520, 480, 128, 32, fromPyramid);
        PatchSampler.Read(source, 520, 480, 128, 32, fromSource);
        double error = fromPyramid.Zip(fromSource, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(error < 0.02, $"mean error {error:0.0000}");
        // And the colour encodes the position: red rises with x across the patch.
        Assert.True(fromPyramid[31] > fromPyramid[0]);
    }

    [Theory]
    [InlineData(SlideReader.OpenSlide)]
    [InlineData(SlideReader.Vips)]
    public void ConcurrentReads_EqualSerialReads(SlideReader reader)
    {
        using var folder = new TempFolder();
        using var slide = SlideOpener.Open(Pyramid(folder), reader);
        var points = Enumerable.Range(0, 64).Select(i => (X: 100 + i * 19 % 1300, Y: 80 + i * 37 % 900, Level: i % 3)).ToArray();
        var serial = points.Select(p => Read(slide, p.Level, p.X >> p.Level, p.Y >> p.Level, 64, 64)).ToArray();
        var parallel = new byte[points.Length][];
        Parallel.For(0, points.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            i => parallel[i] = Read(slide, points[i].Level, points[i].X >> points[i].Level, points[i].Y >> points[i].Level, 64, 64));
        for (int i = 0; i < points.Length; i++) Assert.Equal(serial[i], parallel[i]);
    }

    [Fact]
    public void LoadPatches_OverAPyramidalTiff_TakesMicronsPerPixelFromTheFile()
    {
        using var folder = new TempFolder();
        string path = Pyramid(folder);
        // 64 µm at 0.5 µm/px = 128 level-0 px, into 32 px → level 2.
        var data = PatchAndFeatureTests.Spots(path, null, (520, 480), (1400, 100));
        var patches = Ml.Transforms.LoadPatches("Patch", "Image", sizeMicrons: 64, sizePixels: 32)
            .Append(Ml.Transforms.FeaturizeMorphology("Features", "Patch"))
            .Fit(data).Transform(data);
        var batch = patches.ReadBatches(["Patch", "Features"]).Single();
        var patch = batch.GetFloats("Patch");
        using var slide = SlideOpener.Open(path);
        var expected = new float[3 * 32 * 32];
        PatchSampler.Read(slide, 520, 480, 128, 32, expected);
        Assert.Equal(expected, patch[..expected.Length]);
        int tissue = MorphologyFeatures.Names.ToList().IndexOf("tissue_fraction");
        var features = batch.GetFloats("Features");
        Assert.True(features[tissue] > 0.9f, "the first spot lies on the tissue disc");
        Assert.True(features[MorphologyFeatures.Count + tissue] < 0.1f, "the second lies on background");
    }

    [Fact]
    public void LoadPatches_PyramidWithoutResolution_SaysMicronsPerPixelIsMissing()
    {
        using var folder = new TempFolder();
        string path = Pyramid(folder, pixelsPerMm: null);   // libvips writes 1 px/mm: not a microscope resolution
        using (var slide = SlideOpener.Open(path)) Assert.Null(slide.MicronsPerPixel);
        using (var slide = SlideOpener.Open(path, SlideReader.OpenSlide)) Assert.Null(slide.MicronsPerPixel);
        var data = PatchAndFeatureTests.Spots(path, null, (520, 480));
        var patches = Ml.Transforms.LoadPatches("Patch", "Image", 64, 32).Fit(data).Transform(data);
        var error = Assert.Throws<InvalidDataException>(() => patches.ReadBatches(["Patch"]).ToList());
        Assert.Contains("microns-per-pixel", error.Message);
        Assert.Contains("slide.tif", error.Message);
    }

    [Fact]
    public void Open_MissingFile_IsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => SlideOpener.Open("/nonexistent/slide.svs"));
        Assert.Throws<FileNotFoundException>(() => OpenSlideSlide.Open("/nonexistent/slide.svs"));
        Assert.Null(OpenSlideSlide.DetectVendor("/nonexistent/slide.svs"));
    }

    [Fact]
    public void Open_UnsupportedFile_IsAClearIOException()
    {
        using var folder = new TempFolder();
        string path = folder.File("notes.svs");
        File.WriteAllText(path, "not a slide at all");
        var error = Assert.ThrowsAny<IOException>(() => SlideOpener.Open(path));
        Assert.Contains("notes.svs", error.Message);
        var direct = Assert.Throws<OpenSlideException>(() => OpenSlideSlide.Open(path));
        Assert.Contains("notes.svs", direct.Message);
    }

    [Theory]
    [InlineData(0.5, SlideReader.Auto)]
    [InlineData(0.02, SlideReader.Auto)]
    [InlineData(0.5, SlideReader.Vips)]
    public void TruncatedTiff_FailsWithAClearIOException(double keep, SlideReader reader)
    {
        using var folder = new TempFolder();
        var bytes = File.ReadAllBytes(Pyramid(folder));
        string path = folder.File("truncated.tif");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        var error = Record.Exception(() =>
        {
            using var slide = SlideOpener.Open(path, reader);
            for (int level = 0; level < slide.Levels.Count; level++)
                _ = Read(slide, level, 0, 0, slide.Levels[level].Width, slide.Levels[level].Height);
        });
        var io = Assert.IsAssignableFrom<IOException>(error);
        Assert.Contains("truncated.tif", io.Message);
    }

    [Fact]
    public void TruncatedTiff_InAnyPlace_FailsClearlyOrReadsOnlyIntactPixels()
    {
        using var folder = new TempFolder();
        string intact = Pyramid(folder);
        var bytes = File.ReadAllBytes(intact);
        string path = folder.File("cut.tif");
        foreach (var reader in new[] { SlideReader.Auto, SlideReader.OpenSlide })
        {
            List<byte[]> expected;
            using (var whole = SlideOpener.Open(intact, reader))
                expected = Enumerable.Range(0, whole.Levels.Count).Select(l => Read(whole, l, 0, 0, whole.Levels[l].Width, whole.Levels[l].Height)).ToList();
            foreach (double keep in new[] { 0.1, 0.3, 0.7, 0.9, 0.97 })
            {
                File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
                var levels = new List<byte[]>();
                var error = Record.Exception(() =>
                {
                    using var slide = SlideOpener.Open(path, reader);
                    for (int level = 0; level < slide.Levels.Count; level++)
                        levels.Add(Read(slide, level, 0, 0, slide.Levels[level].Width, slide.Levels[level].Height));
                });
                // Either a clear error naming the file, or every pixel read is the intact file's: never made-up pixels. A cut
                // that removes only the directories of the smaller levels leaves a valid, shallower TIFF.
                if (error is not null)
                {
                    Assert.IsAssignableFrom<IOException>(error);
                    Assert.Contains("cut.tif", error.Message);
                }
                else
                {
                    Assert.InRange(levels.Count, 1, expected.Count);
                    for (int l = 0; l < levels.Count; l++)
                        Assert.True(expected[l].AsSpan().SequenceEqual(levels[l]), $"{reader}, {keep:P0} kept: level {l} read without error but differs from the intact file");
                }
            }
        }
    }

    [Fact]
    public void ReadRgb_InvalidArguments_AreRejectedBeforeNativeCode()
    {
        using var folder = new TempFolder();
        string path = Pyramid(folder);
        foreach (var slide in new ISlide[] { OpenSlideSlide.Open(path), VipsSlide.Open(path), VipsImage.Open(folder.File("source.ppm")) })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => slide.ReadRgb(slide.Levels.Count, 0, 0, 4, 4, new byte[48]));
            Assert.Throws<ArgumentOutOfRangeException>(() => slide.ReadRgb(-1, 0, 0, 4, 4, new byte[48]));
            Assert.Throws<ArgumentException>(() => slide.ReadRgb(0, 0, 0, 0, 4, new byte[48]));
            Assert.Throws<ArgumentException>(() => slide.ReadRgb(0, 0, 0, 4, 4, new byte[47]));
            slide.Dispose();
            Assert.Throws<ObjectDisposedException>(() => slide.ReadRgb(0, 0, 0, 4, 4, new byte[48]));
        }
    }

    [Fact]
    public void TissueMask_FindsTheDiscFromALowResolutionLevel()
    {
        using var folder = new TempFolder();
        using var slide = SlideOpener.Open(Pyramid(folder));
        var mask = TissueMask.Compute(slide, maxSide: 96);    // 16 level-0 px per cell → read from level 3
        Assert.Equal((96, 64, 16.0), (mask.Width, mask.Height, mask.CellSize));
        double disc = Math.PI * 380 * 380 / (Width * Height);
        Assert.InRange(mask.TissueCoverage, disc - 0.03, disc + 0.03);
        Assert.InRange(mask.Threshold, TissueMask.MinOtsuThreshold, TissueMask.MaxOtsuThreshold);
        Assert.True(mask.IsTissue(500 / 16, 512 / 16));
        Assert.False(mask.IsTissue(1400 / 16, 100 / 16));
        Assert.False(mask.IsTissue(-1, 0));
        Assert.Equal(1.0, mask.TissueFraction(500, 512, 224), 6);
        Assert.Equal(0.0, mask.TissueFraction(1400, 100, 224), 6);
        Assert.InRange(mask.TissueFraction(880, 512, 128), 0.3, 0.7);        // straddles the disc's edge
        Assert.Equal(0.0, mask.TissueFraction(-1000, -1000, 50), 6);          // off the slide
        Assert.Equal(0, TissueMask.Compute(slide, 96, saturationThreshold: 0.95).TissueCoverage);
    }

    [Fact]
    public void TissueMask_SingleLevelImage_AgreesWithThePyramid()
    {
        using var folder = new TempFolder();
        using var pyramid = SlideOpener.Open(Pyramid(folder));
        using var plain = SlideOpener.Open(folder.File("source.ppm"));
        var a = TissueMask.Compute(pyramid, 96);
        var b = TissueMask.Compute(plain, 96);
        Assert.InRange(a.TissueCoverage - b.TissueCoverage, -0.01, 0.01);
    }

    [Fact]
    public void TileGrid_CoversTheTissueOnly()
    {
        using var folder = new TempFolder();
        string path = Pyramid(folder);
        using var slide = SlideOpener.Open(path);
        var mask = TissueMask.Compute(slide, 128);
        var centres = TileGrid.Centres(mask, pitch: 112, patchSize: 112, minTissueFraction: 0.9);
        Assert.NotEmpty(centres);
        Assert.All(centres, c => Assert.True((c.X - 500) * (c.X - 500) + (c.Y - 512) * (c.Y - 512) < 400 * 400, $"{c} lies off the disc"));
        // The disc holds about π·380²/112² ≈ 36 tiles; fully covered ones somewhat fewer.
        Assert.InRange(centres.Count, 20, 40);
        var spots = TileGrid.ToSpots(new Data.SlideReference(path, null), centres);
        var patches = Ml.Transforms.LoadPatches("Patch", sizeMicrons: 56, sizePixels: 28).Fit(spots).Transform(spots);
        Assert.Equal(centres.Count, patches.ReadBatches(["Patch", "Barcode"]).Sum(b => b.RowCount));
        Assert.Throws<ArgumentException>(() => TileGrid.Centres(mask, 0, 112));
    }

    [Fact]
    public void FilterBackgroundSpots_DropsSpotsOnBackground()
    {
        using var folder = new TempFolder();
        string path = Pyramid(folder);
        var data = PatchAndFeatureTests.Spots(path, null, (500, 512), (1400, 100), (600, 400), (40, 1000));
        var kept = Ml.Transforms.FilterBackgroundSpots(minTissueFraction: 0.5, sizeMicrons: 56).Fit(data).Transform(data);
        var xs = kept.ReadBatches(["PixelX"]).SelectMany(b => b.GetDoubles("PixelX")).ToArray();
        Assert.Equal([500.0, 600.0], xs);
        Assert.Equal(data.Schema.Describe(), kept.Schema.Describe());
    }

    [Fact]
    public void FilterBackgroundSpots_WithoutMicronsPerPixel_SaysSo()
    {
        using var folder = new TempFolder();
        var data = PatchAndFeatureTests.Spots(SourceImage(folder), null, (500, 512));
        var kept = Ml.Transforms.FilterBackgroundSpots().Fit(data).Transform(data);
        Assert.Contains("microns-per-pixel", Assert.Throws<InvalidDataException>(() => kept.ReadBatches(["PixelX"]).ToList()).Message);
    }

    [Fact]
    public void FilterBackgroundSpots_PassesTheWorkout()
    {
        using var folder = new TempFolder();
        string path = Pyramid(folder);
        var good = PatchAndFeatureTests.Spots(path, null, (500, 512), (1400, 100));
        var bad = new Data.InMemoryDataView(Data.SchemaExtensions.Create([Data.SchemaColumns.Create("Image", Data.ColumnTypes.Text),
                Data.SchemaColumns.Create("PixelX", Data.ColumnTypes.Float64), Data.SchemaColumns.Create("PixelY", Data.ColumnTypes.Float64)]),
            1, new Dictionary<string, Array> { ["Image"] = new[] { "x" }, ["PixelX"] = new[] { 1.0 }, ["PixelY"] = new[] { 1.0 } });
        EstimatorWorkout.Run(Ml.Transforms.FilterBackgroundSpots(sizeMicrons: 56), good, bad, "Image");
        Assert.Throws<ArgumentException>(() => Ml.Transforms.FilterBackgroundSpots(minTissueFraction: 1.5));
    }
}
