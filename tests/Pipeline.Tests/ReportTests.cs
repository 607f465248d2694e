using System.Text.RegularExpressions;
using MlNetStem.Data;
using MlNetStem.Data.Reporting;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// The HTML report and what it is drawn with: PNGs encoded by the real libvips, thumbnails shrunk on load, spot maps,
/// and `mlnetstem report` on a bundled section.
/// </summary>
[Collection(Hdf5FileTests.Name)]
public class ReportTests
{
    [Fact]
    public void PngEncoder_RoundTripsThroughLibvips()
    {
        var random = new Random(3);
        var pixels = new byte[37 * 23 * 3];
        random.NextBytes(pixels);
        var image = new RgbImage(37, 23, pixels);
        using var folder = new TempFolder();
        string path = folder.File("x.png");
        PngEncoder.Save(image, path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(path)[..4]);
        using var decoded = VipsImage.Open(path);
        var back = new byte[pixels.Length];
        decoded.ReadRgb(0, 0, 37, 23, back);
        Assert.Equal(pixels, back);
    }

    [Fact]
    public void ImageThumbnail_ShrinksToTheLongerSide_AndKeepsWhereColoursAre()
    {
        var image = RgbImage.Filled(1000, 600, 200, 30, 30);
        for (int y = 0; y < 600; y++)
            for (int x = 500; x < 1000; x++) { int i = (y * 1000 + x) * 3; image.Pixels[i] = 20; image.Pixels[i + 1] = 40; image.Pixels[i + 2] = 220; }
        using var folder = new TempFolder();
        string path = folder.File("big.png");
        PngEncoder.Save(image, path);

        var (thumbnail, scale) = ImageThumbnail.Read(path, 100);
        Assert.Equal((100, 60), (thumbnail.Width, thumbnail.Height));
        Assert.Equal(0.1, scale, 6);
        Assert.InRange(thumbnail.Pixels[(30 * 100 + 10) * 3], 190, 210);     // red half
        Assert.InRange(thumbnail.Pixels[(30 * 100 + 90) * 3 + 2], 210, 230); // blue half

        var (same, one) = ImageThumbnail.Read(path, 5000); // never enlarged
        Assert.Equal((1000, 600, 1.0), (same.Width, same.Height, one));
        Assert.Throws<FileNotFoundException>(() => ImageThumbnail.Read(folder.File("none.png"), 100));
    }

    [Fact]
    public void SpotMap_PaintsEachSpotInTheColourOfItsValue_OverTheFadedImage()
    {
        // A 3×3 grid of spots 100 px apart on a 400×400 grey image, mapped at half size.
        var background = RgbImage.Filled(200, 200, 100, 100, 100);
        double[] x = [100, 200, 300, 100, 200, 300, 100, 200, 300], y = [100, 100, 100, 200, 200, 200, 300, 300, 300];
        var layout = SpotLayout.Create(x, y, 0.5, (200, 200));
        Assert.Equal(50, layout.SpotDiameterFullRes, 6); // half the 100 px spacing
        float[] values = [0, 1, 2, 3, 4, 5, 6, 7, 8];
        var map = SpotMap.Draw(background, layout, values, (0, 8), Colormap.Viridis);

        for (int s = 0; s < 9; s++)
        {
            int px = (int)layout.X[s], py = (int)layout.Y[s];
            int i = (py * map.Width + px) * 3;
            Assert.Equal(Colormap.Viridis.At(values[s] / 8.0), (map.Pixels[i], map.Pixels[i + 1], map.Pixels[i + 2]));
        }
        // Between spots: the image, faded towards white.
        int gap = ((int)layout.Y[0] * map.Width + (int)((layout.X[0] + layout.X[1]) / 2)) * 3;
        byte faded = (byte)(255 - (255 - 100) * SpotMap.BackgroundOpacity);
        Assert.Equal(faded, map.Pixels[gap]);
    }

    [Fact]
    public void ExpressionReport_RefusesModelsOverDifferentPanels_AndUnknownMapGenes()
    {
        var (ridge, other) = (Scored(["A", "B"]), Scored(["A", "C"]));
        var mismatch = new ExpressionReport { Title = "t", SectionName = "s", Models = [new("a", ridge, null), new("b", other, null)] };
        Assert.Contains("same section and panel", Assert.Throws<ArgumentException>(mismatch.ToHtml).Message);
        var unknown = new ExpressionReport { Title = "t", SectionName = "s", Models = [new("a", ridge, null)], MapGenes = ["ERBB2"] };
        Assert.Contains("ERBB2 not in the model's 2-gene panel", Assert.Throws<ArgumentException>(unknown.ToHtml).Message);
    }

    [Fact]
    public void ReportCli_WritesOneSelfContainedPage_WithMetricsMapsAndCharts()
    {
        using var folder = new TempFolder();
        string model = folder.File("ridge.zip");
        Assert.Equal(0, CliTests.Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--genes", "12", "--patch-px", "32").Code);
        string html = folder.File("r.html");
        var (code, output, error) = CliTests.Run("report", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", html,
            "--map-genes", "ERBB2,ACTB");
        Assert.True(code == 0, error);
        Assert.Contains("wrote", output);
        string page = File.ReadAllText(html);
        Assert.Contains("<h3>ERBB2</h3>", page);
        Assert.Contains("<h3>ACTB</h3>", page);
        Assert.Matches(@"<tr><td>ridge</td><td>179</td><td>12</td><td>0\.\d{3}</td>", page);
        // Measured + predicted per gene, each a PNG inside the page; three charts; nothing fetched from elsewhere.
        Assert.Equal(4, Regex.Matches(page, "<img alt=\"[^\"]*\" src=\"data:image/png;base64,").Count);
        Assert.Equal(2, Regex.Matches(page, "<svg ").Count); // PCC histogram, variation curves (ridge has no intervals)
        Assert.DoesNotMatch("(src|href)=\"(https?:|//|file:)", page);

        var bad = CliTests.Run("report", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("b.html"), "--map-genes", "NOPE");
        Assert.Equal(2, bad.Code);
        Assert.Contains("NOPE not in the model's 12-gene panel", bad.Err);
        Assert.False(File.Exists(folder.File("b.html")));
        Assert.Equal(2, CliTests.Run("report", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("r.pdf")).Code);
    }

    /// <summary>Two spots × the given genes (slot names), no measured counts.</summary>
    private static ScoredSpots Scored(string[] genes)
    {
        var score = SchemaColumns.Create("Score", ColumnTypes.FloatTensor(genes.Length), genes);
        return ScoredSpots.Read(new InMemoryDataView([score], 2, new Dictionary<string, Array> { ["Score"] = new float[2 * genes.Length] }));
    }
}
