using System.Text;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public class ImagingTests
{
    /// <summary>Writes a PPM whose pixel (x, y) is (x, y, 100) — coordinates readable from colour.</summary>
    internal static string CoordinateImage(TempFolder folder, int width = 200, int height = 150)
    {
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int i = (y * width + x) * 3;
            rgb[i] = (byte)x; rgb[i + 1] = (byte)y; rgb[i + 2] = 100;
        }
        string path = folder.File("coords.ppm");
        using var file = File.Create(path);
        file.Write(Encoding.ASCII.GetBytes($"P6\n{width} {height}\n255\n"));
        file.Write(rgb);
        return path;
    }

    [Fact]
    public void Open_ReportsSizeAndBands()
    {
        using var folder = new TempFolder();
        using var image = VipsImage.Open(CoordinateImage(folder));
        Assert.Equal((200, 150, 3), (image.Width, image.Height, image.Bands));
    }

    [Fact]
    public void Open_BundledJpeg_ReadsRealPixels()
    {
        using var image = VipsImage.Open(Path.Combine(RepositoryPaths.Her2st("C2"), "he.jpg"));
        Assert.Equal((9274, 9911), (image.Width, image.Height));
        var rgb = new byte[32 * 32 * 3];
        image.ReadRgb(6930 - 16, 3510 - 16, 32, 32, rgb);
        Assert.True(rgb.Average(b => b) < 245, "a spot on tissue should not be white");
    }

    [Fact]
    public void ReadRgb_RegionMatchesSourcePixels_AndPadsOutsideWithWhite()
    {
        using var folder = new TempFolder();
        using var image = VipsImage.Open(CoordinateImage(folder));
        var rgb = new byte[10 * 10 * 3];
        image.ReadRgb(195, -5, 10, 10, rgb);
        // (0,5) in the buffer is source (195, 0).
        int i = (5 * 10 + 0) * 3;
        Assert.Equal([195, 0, 100], rgb[i..(i + 3)]);
        // (9, 0) is outside on both axes: white.
        Assert.Equal([255, 255, 255], rgb[27..30]);
    }

    [Fact]
    public void PatchSampler_IdentityScale_ReproducesTheSourcePatch()
    {
        using var folder = new TempFolder();
        using var image = VipsImage.Open(CoordinateImage(folder));
        var chw = new float[3 * 20 * 20];
        PatchSampler.Read(image, 100, 60, 20, 20, chw);
        // Output pixel (0,0) covers source pixel (90, 50).
        Assert.Equal(90 / 255f, chw[0], 4);
        Assert.Equal(50 / 255f, chw[400], 4);
        Assert.Equal(100 / 255f, chw[800], 4);
        Assert.Equal(109 / 255f, chw[19], 4);
    }

    [Fact]
    public void PatchSampler_Downsampling_AveragesAndKeepsGeometry()
    {
        using var folder = new TempFolder();
        using var image = VipsImage.Open(CoordinateImage(folder));
        var chw = new float[3 * 10 * 10];
        PatchSampler.Read(image, 100, 60, 40, 10, chw);   // 4 source px per output px
        // Output (0,0) averages x in 80..83 → 81.5.
        Assert.Equal(81.5f / 255f, chw[0], 3);
        Assert.Equal(41.5f / 255f, chw[100], 3);
    }

    [Fact]
    public void PatchSampler_EdgeSpot_IsPaddedWithWhite()
    {
        using var folder = new TempFolder();
        using var image = VipsImage.Open(CoordinateImage(folder));
        var chw = new float[3 * 16 * 16];
        PatchSampler.Read(image, 2, 2, 16, 16, chw);
        Assert.Equal(1f, chw[0]);              // top-left is outside
        Assert.True(chw[15 * 16 + 15] < 1f);   // bottom-right is inside
    }

    [Fact]
    public void Open_MissingFile_IsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => VipsImage.Open("/nonexistent/he.jpg"));

    [Fact]
    public void Open_NotAnImage_IsAVipsException()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("he.jpg"), "this is not a jpeg");
        Assert.Throws<VipsException>(() => VipsImage.Open(folder.File("he.jpg")));
    }

    [Fact]
    public void TruncatedJpeg_FailsWithAClearErrorOnOpenOrRead()
    {
        using var folder = new TempFolder();
        var bytes = File.ReadAllBytes(Path.Combine(RepositoryPaths.Her2st("C2"), "he.jpg"));
        File.WriteAllBytes(folder.File("he.jpg"), bytes[..(bytes.Length / 3)]);
        var error = Record.Exception(() =>
        {
            using var image = VipsImage.Open(folder.File("he.jpg"));
            image.ReadRgb(100, 9000, 64, 64, new byte[64 * 64 * 3]);
        });
        var vips = Assert.IsType<VipsException>(error);
        Assert.Contains("he.jpg", vips.Message);
    }

    [Fact]
    public void MorphologyFeatures_AreDeterministicFiniteAndDistinguishTissue()
    {
        int size = 64;
        var white = Enumerable.Repeat(0.97f, 3 * size * size).ToArray();
        var purple = new float[3 * size * size];
        for (int i = 0; i < size * size; i++) { purple[i] = 0.35f; purple[size * size + i] = 0.2f; purple[2 * size * size + i] = 0.55f; }
        var a = new float[MorphologyFeatures.Count];
        var b = new float[MorphologyFeatures.Count];
        var c = new float[MorphologyFeatures.Count];
        MorphologyFeatures.Compute(white, size, a);
        MorphologyFeatures.Compute(purple, size, b);
        MorphologyFeatures.Compute(purple, size, c);
        Assert.Equal(b, c);
        Assert.All(a.Concat(b), v => Assert.True(float.IsFinite(v)));
        int haem = MorphologyFeatures.Names.ToList().IndexOf("haematoxylin_mean");
        int tissue = MorphologyFeatures.Names.ToList().IndexOf("tissue_fraction");
        Assert.True(b[haem] > a[haem] + 0.2f);
        Assert.Equal(0f, a[tissue]);
        Assert.Equal(1f, b[tissue]);
    }

    [Fact]
    public void MorphologyFeatures_WrongLength_IsRejected() =>
        Assert.Throws<ArgumentException>(() => MorphologyFeatures.Compute(new float[10], 64, new float[MorphologyFeatures.Count]));
}
