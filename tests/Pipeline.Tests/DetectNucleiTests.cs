using FluentAssertions;
using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using MlNetStem.Transforms.Imaging;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>The <c>DetectNuclei</c> transform: the workout (schema checks, save → load), and the per-spot table it writes.</summary>
public class DetectNucleiTests
{
    private static readonly MLContext Ml = SeededContext.Create(1);

    private static (string Path, IReadOnlyList<SyntheticNuclei.Truth> Truth) Image(TempFolder folder)
    {
        var (rgb, truth) = SyntheticNuclei.Generate(21, 900, 600);
        string path = folder.File("he.png");
        PngEncoder.Save(new RgbImage(900, 600, rgb), path);
        return (path, truth);
    }

    private static InMemoryDataView NoImage() => new(
        SchemaExtensions.Create([SchemaColumns.Create("Image", ColumnTypes.Text), SchemaColumns.Create("PixelX", ColumnTypes.Float64), SchemaColumns.Create("PixelY", ColumnTypes.Float64)]),
        1, new Dictionary<string, Array> { ["Image"] = new[] { "x" }, ["PixelX"] = new[] { 1.0 }, ["PixelY"] = new[] { 1.0 } });

    [Fact]
    public void DetectNuclei_PassesTheWorkout()
    {
        using var folder = new TempFolder();
        var (image, _) = Image(folder);
        var spots = PatchAndFeatureTests.Spots(image, 0.5, (300, 200), (600, 400), (5000, 50));
        EstimatorWorkout.Run(Ml.Transforms.DetectNuclei(maxNuclei: 16, spotDiameterMicrons: 60), spots, NoImage(), "Image");
    }

    [Fact]
    public void DetectNuclei_WritesEachSpotsNuclei_NearestFirst_WithTheirMaskAndCount_AndKeepsOptionsThroughSaveAndLoad()
    {
        using var folder = new TempFolder();
        var (image, truth) = Image(folder);
        var spots = PatchAndFeatureTests.Spots(image, 0.5, (300, 200), (600, 400), (5000, 50));
        var options = new DetectNucleiOptions(MaxNuclei: 4, SpotDiameterMicrons: 70, Detection: new NucleusDetectionOptions(SmoothingMicrons: 0.6));
        var model = Ml.Transforms.DetectNuclei(options).Fit(spots);
        var batch = model.Transform(spots).ReadBatches(["Nuclei", "NucleusMask", "NucleusCount"]).Single();
        var table = batch.GetFloats("Nuclei");
        var mask = batch.GetFloats("NucleusMask");
        var count = batch.GetFloats("NucleusCount");
        int f = DetectNucleiTransformer.FeatureCount;
        f.Should().Be(5);
        double[] xs = [300, 600], ys = [200, 400];
        for (int r = 0; r < 2; r++)
        {
            // The drawn nuclei inside the 70 µm (140 px) disk, give or take one on its edge.
            int drawn = truth.Count(t => Math.Sqrt((t.X - xs[r]) * (t.X - xs[r]) + (t.Y - ys[r]) * (t.Y - ys[r])) <= 70);
            count[r].Should().BeInRange(drawn - 1, drawn + 1);
            count[r].Should().BeGreaterThan(4, "a 70 µm spot holds more nuclei than the 4 kept");
            mask.AsSpan(r * 4, 4).ToArray().Should().AllBeEquivalentTo(1f);
            double previous = 0;
            for (int k = 0; k < 4; k++)
            {
                var row = table.AsSpan((r * 4 + k) * f, f).ToArray();
                double d = Math.Sqrt((row[0] - xs[r]) * (row[0] - xs[r]) + (row[1] - ys[r]) * (row[1] - ys[r]));
                d.Should().BeLessThanOrEqualTo(70).And.BeGreaterThanOrEqualTo(previous, "nearest the centre first");
                previous = d;
                truth.Min(t => Math.Sqrt((t.X - row[0]) * (t.X - row[0]) + (t.Y - row[1]) * (t.Y - row[1]))).Should().BeLessThan(2);
                row[2].Should().BeInRange(10, 120);
                row[3].Should().BeApproximately((float)(2 * Math.Sqrt(row[2] / Math.PI)), 1e-3f);
                row[4].Should().BeGreaterThan(0.3f);
            }
        }
        // The spot off the image: no nuclei, all padding.
        count[2].Should().Be(0);
        mask.AsSpan(8, 4).ToArray().Should().AllBeEquivalentTo(0f);
        table.AsSpan(8 * f, 4 * f).ToArray().Should().AllBeEquivalentTo(0f);

        string path = folder.File("nuclei.zip");
        Ml.SpatialExpression().SaveModel(model, spots.Schema, path);
        var loaded = Ml.SpatialExpression().LoadModel(path, out _);
        loaded.Should().BeOfType<DetectNucleiTransformer>().Which.Options.Should().Be(options);
    }

    [Fact]
    public void DetectNuclei_UnknownPixelSize_IsOneClearError()
    {
        using var folder = new TempFolder();
        var (image, _) = Image(folder);
        var spots = PatchAndFeatureTests.Spots(image, null, (300, 200));
        var read = () => Ml.Transforms.DetectNuclei().Fit(spots).Transform(spots).ReadBatches(["NucleusCount"]).ToList();
        read.Should().Throw<InvalidDataException>().WithMessage("*DetectNuclei*microns-per-pixel*MicronsPerPixel*");
        FluentActions.Invoking(() => Ml.Transforms.DetectNuclei(maxNuclei: 0)).Should().Throw<ArgumentException>().WithMessage("*MaxNuclei*");
    }
}
