using FluentAssertions;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// <see cref="NucleusDetector"/> on generated H&amp;E with nuclei of known centres (<see cref="SyntheticNuclei"/>): how many it
/// finds, where, whether touching pairs are split; parent spots; bad regions.
/// </summary>
public class NucleusDetectorTests
{
    private static (RgbImage Image, IReadOnlyList<SyntheticNuclei.Truth> Truth) Raster(int seed, int width = 800, int height = 600, double mpp = 0.5)
    {
        var (rgb, truth) = SyntheticNuclei.Generate(seed, width, height, mpp);
        return (new RgbImage(width, height, rgb), truth);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void Detect_SyntheticNuclei_FindsThemWithinTwoPixels_AndSplitsTouchingPairs(int seed)
    {
        var (image, truth) = Raster(seed);
        var found = new NucleusDetector().Detect(image, 0.5);

        var score = SyntheticNuclei.Score(truth, found.Select(n => (n.X, n.Y)).ToList(), maxDistance: 4);
        score.Recall.Should().BeGreaterThanOrEqualTo(0.9);
        score.Precision.Should().BeGreaterThanOrEqualTo(0.9);
        score.MaxError.Should().BeLessThan(2, "centroids are within 2 px of the drawn centres");
        int pairs = truth.Where(t => t.Pair >= 0).Select(t => t.Pair).Distinct().Count();
        pairs.Should().BeGreaterThan(30);
        score.PairsSplit.Should().BeGreaterThanOrEqualTo((int)(0.9 * pairs), "touching pairs are two nuclei, not one");
        // Drawn semi-axes 3–5.5 µm: areas of roughly 20–95 µm²; the stain is haematoxylin, not the pink around it.
        found.Should().OnlyContain(n => n.AreaMicrons2 > 10 && n.AreaMicrons2 < 120);
        found.Should().OnlyContain(n => Math.Abs(n.DiameterMicrons - 2 * Math.Sqrt(n.AreaMicrons2 / Math.PI)) < 1e-9);
        found.Average(n => n.MeanHaematoxylin).Should().BeGreaterThan(0.5);
        found.Should().OnlyContain(n => n.SpotIndex == -1);
    }

    [Fact]
    public void Detect_OnManyThreadsAtOnce_NeverFails_AndMatchesTheSingleThreadResult()
    {
        // The detector's workers build libvips pipelines (gaussblur, hist_find, labelregions...) concurrently; a build that
        // failed now and then under load (an empty "gaussblur" error) is what VipsOperation's build gate prevents.
        var (image, _) = Raster(9, 240, 200);
        var detector = new NucleusDetector();
        var expected = detector.Detect(image, 0.5);
        var results = new IReadOnlyList<Nucleus>[48];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = detector.Detect(image, 0.5));
        expected.Should().NotBeEmpty();
        results.Should().OnlyContain(r => r.SequenceEqual(expected));
    }

    [Fact]
    public void Detect_FinerScan_IsReadAtTheWorkingResolution_WithCentroidsInTheScansPixels()
    {
        // 0.25 µm/px is shrunk to the 0.5 µm/px working resolution; centroids come back in the 0.25 µm/px pixels.
        var (image, truth) = Raster(11, 1600, 1200, mpp: 0.25);
        var found = new NucleusDetector().Detect(image, 0.25);
        var score = SyntheticNuclei.Score(truth, found.Select(n => (n.X, n.Y)).ToList(), maxDistance: 6);
        score.Recall.Should().BeGreaterThanOrEqualTo(0.9);
        score.Precision.Should().BeGreaterThanOrEqualTo(0.9);
        score.MaxError.Should().BeLessThan(2);
        // Areas are physical: the same nuclei drawn at 0.5 µm/px would measure alike.
        found.Average(n => n.AreaMicrons2).Should().BeInRange(25, 80);
    }

    [Fact]
    public void Detect_TissueWithoutNuclei_FindsNone()
    {
        // Noisy pink stroma and glass: Otsu alone would split the noise; the documented minimum threshold keeps it out.
        var (rgb, _) = SyntheticNuclei.Generate(3, 400, 300, pairEvery: 0);
        new NucleusDetector().Detect(new RgbImage(400, 300, rgb), 0.5).Should().NotBeEmpty("the raster has nuclei");
        var stroma = new RgbImage(400, 300, rgb.Select((v, i) => (byte)(i % 3 == 0 ? 232 : i % 3 == 1 ? 160 : 196) is var c && i / 3 % 400 < 50 ? (byte)245 : (byte)(c + (v % 7) - 3)).ToArray());
        new NucleusDetector().Detect(stroma, 0.5).Should().BeEmpty();
        new NucleusDetector().Detect(RgbImage.Filled(64, 64, 255, 255, 255), 0.5).Should().BeEmpty();
    }

    [Fact]
    public void StainVectors_HaematoxylinCoefficients_UnmixPureStains()
    {
        var h = StainVectors.HaematoxylinFromOpticalDensity;
        double Dot(IReadOnlyList<double> v) => h[0] * v[0] + h[1] * v[1] + h[2] * v[2];
        Dot(StainVectors.Haematoxylin).Should().BeApproximately(1, 1e-9);
        Dot(StainVectors.Eosin).Should().BeApproximately(0, 1e-9);
        Dot(StainVectors.Residual).Should().BeApproximately(0, 1e-9);
        StainVectors.OpticalDensity(255).Should().Be(0);
    }

    [Fact]
    public void DetectInSpots_GivesEachNucleusTheSpotWhoseDiskHoldsIt_AndWholeTissueKeepsTheOthersWithout()
    {
        using var folder = new TempFolder();
        var (image, truth) = Raster(5, 1000, 700);
        string path = folder.File("he.png");
        PngEncoder.Save(image, path);
        using var slide = SlideOpener.Open(path);
        // Two 60 µm spots (120 px), one off the image (no nuclei, no error).
        var spots = new SpotDisks([(400, 250), (750, 500), (5000, 5000)], 120);
        var detector = new NucleusDetector();

        var inSpots = detector.DetectInSpots(slide, 0.5, spots);
        inSpots.Should().NotBeEmpty();
        foreach (var n in inSpots)
        {
            var (cx, cy) = spots.Centre(n.SpotIndex);
            Math.Sqrt((n.X - cx) * (n.X - cx) + (n.Y - cy) * (n.Y - cy)).Should().BeLessThanOrEqualTo(60);
        }
        // Every drawn nucleus well inside a disk is found there, with that spot.
        foreach (int s in new[] { 0, 1 })
        {
            var (cx, cy) = spots.Centre(s);
            var inside = truth.Where(t => Math.Sqrt((t.X - cx) * (t.X - cx) + (t.Y - cy) * (t.Y - cy)) < 55).ToList();
            inside.Should().NotBeEmpty();
            int found = inside.Count(t => inSpots.Any(n => n.SpotIndex == s && Math.Abs(n.X - t.X) < 2 && Math.Abs(n.Y - t.Y) < 2));
            found.Should().BeGreaterThanOrEqualTo((int)Math.Ceiling(0.9 * inside.Count));
        }
        inSpots.Should().NotContain(n => n.SpotIndex == 2);
        inSpots.Select(n => n.SpotIndex).Should().BeInAscendingOrder();

        var whole = detector.DetectWholeTissue(slide, 0.5, spots);
        whole.Count.Should().BeGreaterThan(3 * inSpots.Count);
        whole.Where(n => n.SpotIndex >= 0).Should().OnlyContain(n => spots.Find(n.X, n.Y) == n.SpotIndex);
        whole.Where(n => n.SpotIndex < 0).Should().OnlyContain(n => spots.Find(n.X, n.Y) == -1);
        // Tiles overlap; each nucleus is kept once.
        whole.Select(n => (Math.Round(n.X), Math.Round(n.Y))).Should().OnlyHaveUniqueItems();
        SyntheticNuclei.Score(truth, whole.Select(n => (n.X, n.Y)).ToList(), 4).Recall.Should().BeGreaterThanOrEqualTo(0.9);
    }

    [Fact]
    public void SpotDisks_OverlappingDisks_GiveAPointToTheNearerSpot()
    {
        var spots = new SpotDisks([(0, 0), (10, 0)], 16);
        spots.Find(3, 0).Should().Be(0);
        spots.Find(7, 0).Should().Be(1);
        spots.Find(0, 9).Should().Be(-1);
    }

    [Fact]
    public void BadInput_EmptyRegion_RegionOffTheSlide_AndBadPixelSize_AreClearErrors()
    {
        var (image, _) = Raster(1, 200, 200);
        using var folder = new TempFolder();
        string path = folder.File("he.png");
        PngEncoder.Save(image, path);
        using var slide = SlideOpener.Open(path);
        var detector = new NucleusDetector();

        detector.Invoking(d => d.DetectRegion(slide, 0.5, 0, 0, 0, 10)).Should().Throw<ArgumentException>().WithMessage("*size must be positive*0×10*");
        detector.Invoking(d => d.DetectRegion(slide, 0.5, 500, 20, 50, 50)).Should().Throw<ArgumentException>()
            .WithMessage("*50×50 at (500,20) lies outside*he.png*200×200 px*");
        detector.Invoking(d => d.DetectInSpot(slide, 0.5, -400, -400, 100)).Should().Throw<ArgumentException>().WithMessage("*lies outside*");
        detector.Invoking(d => d.Detect(image, 0)).Should().Throw<ArgumentException>().WithMessage("*Microns per pixel*positive*");
        FluentActions.Invoking(() => new RgbImage(0, 0, [])).Should().Throw<ArgumentException>().WithMessage("*must be positive*");
        FluentActions.Invoking(() => new NucleusDetector(new NucleusDetectionOptions(MinAreaMicrons2: 50, MaxAreaMicrons2: 20)))
            .Should().Throw<ArgumentException>().WithMessage("*MaxAreaMicrons2*");
        string empty = folder.File("empty.png");
        File.WriteAllBytes(empty, []);
        FluentActions.Invoking(() => SlideOpener.Open(empty)).Should().Throw<IOException>().WithMessage("*empty*");
    }
}
