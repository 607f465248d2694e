using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public class PatchAndFeatureTests
{
    private static readonly MLContext Ml = SeededContext.Create(1);

    internal static InMemoryDataView Spots(string image, double? mpp, params (double X, double Y)[] centres) => new(
        SchemaExtensions.Create([
            SchemaColumns.Create("Image", ColumnTypes.Image),
            SchemaColumns.Create("PixelX", ColumnTypes.Float64),
            SchemaColumns.Create("PixelY", ColumnTypes.Float64),
        ]), centres.Length, new Dictionary<string, Array>
        {
            ["Image"] = centres.Select(_ => new SlideReference(image, mpp)).ToArray(),
            ["PixelX"] = centres.Select(c => c.X).ToArray(),
            ["PixelY"] = centres.Select(c => c.Y).ToArray(),
        });

    private static InMemoryDataView NoImage() => new(
        SchemaExtensions.Create([SchemaColumns.Create("Image", ColumnTypes.Text), SchemaColumns.Create("PixelX", ColumnTypes.Float64), SchemaColumns.Create("PixelY", ColumnTypes.Float64)]),
        1, new Dictionary<string, Array> { ["Image"] = new[] { "x" }, ["PixelX"] = new[] { 1.0 }, ["PixelY"] = new[] { 1.0 } });

    [Fact]
    public void LoadPatches_PassesTheWorkout()
    {
        using var folder = new TempFolder();
        string image = ImagingTests.CoordinateImage(folder);
        EstimatorWorkout.Run(Ml.Transforms.LoadPatches("Patch", "Image", sizeMicrons: 16, sizePixels: 16), Spots(image, 1.0, (50, 50), (100, 80)), NoImage(), "Image");
    }

    [Fact]
    public void FeaturizeMorphology_PassesTheWorkout()
    {
        using var folder = new TempFolder();
        string image = ImagingTests.CoordinateImage(folder);
        var patches = Ml.Transforms.LoadPatches("Patch", "Image", 32, 32).Fit(Spots(image, 1.0, (50, 50), (100, 80))).Transform(Spots(image, 1.0, (50, 50), (100, 80)));
        var cached = Ml.Data.Cache(patches);
        var bad = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Patch", ColumnTypes.FloatTensor(5))]), 1, new Dictionary<string, Array> { ["Patch"] = new float[5] });
        EstimatorWorkout.Run(Ml.Transforms.FeaturizeMorphology("Features", "Patch"), cached, bad, "Patch");
    }

    [Fact]
    public void LoadPatches_PhysicalSize_ResamplesUsingMicronsPerPixel()
    {
        using var folder = new TempFolder();
        string image = ImagingTests.CoordinateImage(folder);
        // 2 µm per pixel, 40 µm patch → 20 source pixels → 20 output pixels: identity.
        var data = Spots(image, 2.0, (100, 60));
        var patch = Ml.Transforms.LoadPatches("Patch", "Image", 40, 20).Fit(data).Transform(data).ReadBatches(["Patch"]).Single().GetFloats("Patch");
        Assert.Equal(90 / 255f, patch[0], 4);
        Assert.Equal(109 / 255f, patch[19], 4);
    }

    [Fact]
    public void LoadPatches_SpotOutsideImage_IsAClearError()
    {
        using var folder = new TempFolder();
        string image = ImagingTests.CoordinateImage(folder);
        var data = Spots(image, 1.0, (50, 50), (5000, 10));
        var patches = Ml.Transforms.LoadPatches("Patch", "Image", 16, 16).Fit(data).Transform(data);
        var error = Assert.Throws<InvalidDataException>(() => patches.ReadBatches(["Patch"]).ToList());
        Assert.Contains("outside image", error.Message);
        Assert.Contains("200×150", error.Message);
    }

    [Fact]
    public void LoadPatches_WithoutMicronsPerPixel_SaysSo()
    {
        using var folder = new TempFolder();
        var data = Spots(ImagingTests.CoordinateImage(folder), null, (50, 50));
        var patches = Ml.Transforms.LoadPatches("Patch", "Image", 16, 16).Fit(data).Transform(data);
        Assert.Contains("microns-per-pixel", Assert.Throws<InvalidDataException>(() => patches.ReadBatches(["Patch"]).ToList()).Message);
    }

    [Fact]
    public void LoadPatches_MissingImageFile_IsFileNotFound()
    {
        var data = Spots("/nonexistent/he.jpg", 1.0, (5, 5));
        var patches = Ml.Transforms.LoadPatches("Patch", "Image", 16, 16).Fit(data).Transform(data);
        Assert.Throws<FileNotFoundException>(() => patches.ReadBatches(["Patch"]).ToList());
    }

    [Fact]
    public void LoadPatches_OnlyReadsPixelsWhenThePatchColumnIsRequested()
    {
        var data = Spots("/nonexistent/he.jpg", 1.0, (5, 5));
        var patches = Ml.Transforms.LoadPatches("Patch", "Image", 16, 16).Fit(data).Transform(data);
        Assert.Single(patches.ReadBatches(["PixelX"]));   // no file access, no error
    }

    [Fact]
    public void LoadPatches_InvalidSizes_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => Ml.Transforms.LoadPatches("P", "Image", sizeMicrons: -1));
        Assert.Throws<ArgumentException>(() => Ml.Transforms.LoadPatches("P", "Image", sizePixels: 2));
    }
}
