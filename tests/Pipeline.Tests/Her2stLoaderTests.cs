using System.IO.Compression;
using MlNetStem.Data;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public class Her2stLoaderTests
{
    [Fact]
    public void Load_BundledC2_JoinsCountsToSpots()
    {
        var section = Her2stLoader.Load(RepositoryPaths.Her2st("C2"));
        var data = section.Data;
        Assert.Equal(187, data.Rows);
        Assert.Equal(15706, data.Schema["Counts"].Type.Size);
        Assert.Equal("FO538757.1", data.Schema["Counts"].SlotNames![0]);
        Assert.InRange(section.MicronsPerPixel, 0.6, 0.8);
        Assert.Empty(section.Dropped);
        var batch = data.ReadBatches(["Barcode", "PixelX", "ArrayX", "ArrayY"]).Single();
        int row = Array.IndexOf(batch.GetTexts("Barcode"), "25x13");
        Assert.Equal(6930.58, batch.GetDoubles("PixelX")[row], 6);
        Assert.Equal(25, batch.GetInt32s("ArrayX")[row]);
    }

    [Fact]
    public void Load_BundledC3_ReportsSelectedSpotsWithoutCounts()
    {
        var section = Her2stLoader.Load(RepositoryPaths.Her2st("C3"));
        Assert.Equal(180, section.Data.Rows);
        Assert.Contains(section.Dropped, d => d.Contains("2 selected spot(s) without a count row"));
    }

    [Fact]
    public void Load_FirstSpotCounts_MatchTheFile()
    {
        var section = Her2stLoader.Load(RepositoryPaths.Her2st("C2"));
        using var reader = new StreamReader(new GZipStream(File.OpenRead(Path.Combine(RepositoryPaths.Her2st("C2"), "counts.tsv.gz")), CompressionMode.Decompress));
        reader.ReadLine();
        var fields = reader.ReadLine()!.Split('\t');
        var batch = section.Data.ReadBatches(["Barcode", "Counts"]).Single();
        int row = Array.IndexOf(batch.GetTexts("Barcode"), fields[0]);
        var counts = batch.GetTensorRow("Counts", row).ToArray();
        Assert.Equal(fields.Skip(1).Select(float.Parse), counts);
    }

    [Fact]
    public void Load_MissingFolder_NamesIt() =>
        Assert.Contains("nowhere", Assert.Throws<DirectoryNotFoundException>(() => Her2stLoader.Load("/nowhere")).Message);

    [Fact]
    public void Load_MissingCounts_IsAnError_UnlessNotRequired()
    {
        using var folder = SectionWith(counts: null);
        Assert.Contains("counts.tsv.gz", Assert.Throws<FileNotFoundException>(() => Her2stLoader.Load(folder.Path)).Message);
        var spotsOnly = Her2stLoader.Load(folder.Path, new Her2stLoadOptions(RequireCounts: false));
        Assert.Null(spotsOnly.Data.Schema.Find("Counts"));
        Assert.Equal(3, spotsOnly.Data.Rows);
    }

    [Fact]
    public void Load_CountRowWithoutCoordinates_IsAClearError()
    {
        using var folder = SectionWith("\tA\tB\n1x1\t1\t2\n9x9\t3\t4\n");
        var error = Assert.Throws<InvalidDataException>(() => Her2stLoader.Load(folder.Path));
        Assert.Contains("9x9", error.Message);
        Assert.Contains("no coordinates", error.Message);
        var lenient = Her2stLoader.Load(folder.Path, new Her2stLoadOptions(DropCountRowsWithoutSpot: true));
        Assert.Contains(lenient.Dropped, d => d.Contains("9x9"));
    }

    [Theory]
    [InlineData("\tA\tB\n1x1\tNaN\t2\n", "not a finite count")]
    [InlineData("\tA\tB\n1x1\t-3\t2\n", "negative count")]
    [InlineData("\tA\tB\n1x1\t1\n", "1 counts, header has 2")]
    [InlineData("\tA\tA\n1x1\t1\t2\n", "more than once")]
    [InlineData("\tA\tB\n1x1\tabc\t2\n", "'abc'")]
    public void Load_BadCounts_AreClearErrors(string counts, string expected)
    {
        using var folder = SectionWith(counts);
        Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => Her2stLoader.Load(folder.Path)).Message);
    }

    [Fact]
    public void Load_SpotsHeaderWithoutPixelColumns_NamesTheColumn()
    {
        using var folder = SectionWith("\tA\n1x1\t1\n", spots: "x\ty\n1\t1\n");
        Assert.Contains("pixel_x", Assert.Throws<InvalidDataException>(() => Her2stLoader.Load(folder.Path)).Message);
    }

    /// <summary>A tiny section: 3 spots at array (1,1),(2,1),(1,2) on a small synthetic image.</summary>
    internal static TempFolder SectionWith(string? counts = "\tA\tB\n1x1\t1\t2\n2x1\t0\t5\n1x2\t4\t0\n", string? spots = null)
    {
        var folder = new TempFolder();
        SyntheticTissue.Write(Path.Combine(folder.Path, "tmp"), seed: 1, grid: 2, pitch: 32);
        File.Move(Path.Combine(folder.Path, "tmp", "he.ppm"), folder.File("he.ppm"));
        File.WriteAllText(folder.File("spots.tsv"), spots ??
            "x\ty\tnew_x\tnew_y\tpixel_x\tpixel_y\tselected\n1\t1\t1\t1\t48\t48\t1\n2\t1\t2\t1\t80\t48\t1\n1\t2\t1\t2\t48\t80\t1\n");
        if (counts is not null)
            using (var gz = new GZipStream(File.Create(folder.File("counts.tsv.gz")), CompressionLevel.Fastest))
                gz.Write(System.Text.Encoding.UTF8.GetBytes(counts));
        return folder;
    }
}
