using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>ML.NET image columns (ImageAnalytics' LoadImages/ResizeImages) stand where a patch is expected.</summary>
public class ImageColumnTests
{
    private const int Size = 32;

    private sealed class ImagePath
    {
        public string Path { get; set; } = "";
    }

    /// <summary>Writes two textured RGBA PNGs and returns their paths and the float patches [3, S, S] they hold.</summary>
    private static (string[] Paths, float[] Patches) WriteImages(string folder)
    {
        var random = new Random(3);
        var paths = new string[2];
        var patches = new float[2 * 3 * Size * Size];
        for (int n = 0; n < 2; n++)
        {
            var rgba = new byte[Size * Size * 4];
            for (int i = 0; i < Size * Size; i++)
            {
                bool nucleus = ((i / Size - 10 - 8 * n) * (i / Size - 10 - 8 * n) + (i % Size - 16) * (i % Size - 16)) < 30;
                rgba[4 * i] = (byte)(nucleus ? 70 : 230 - random.Next(30));
                rgba[4 * i + 1] = (byte)(nucleus ? 40 : 170 - random.Next(40));
                rgba[4 * i + 2] = (byte)(nucleus ? 140 : 200 - random.Next(20));
                rgba[4 * i + 3] = 255;
                for (int c = 0; c < 3; c++) patches[(n * 3 + c) * Size * Size + i] = rgba[4 * i + c] * (1f / 255f);
            }
            using var image = MLImage.CreateFromPixels(Size, Size, MLPixelFormat.Rgba32, rgba);
            paths[n] = System.IO.Path.Combine(folder, $"spot{n}.png");
            image.Save(paths[n]);
        }
        return (paths, patches);
    }

    [Fact]
    public void FeaturizeMorphology_OnLoadedImages_EqualsFeaturesOfTheSamePixelsAsPatches()
    {
        using var folder = new TempFolder();
        var (paths, patches) = WriteImages(folder.Path);
        var ml = new MLContext(1);
        var files = ml.Data.LoadFromEnumerable(paths.Select(p => new ImagePath { Path = p }));
        var fromImages = ml.Transforms.LoadImages("Image", folder.Path, "Path")
            .Append(ml.Transforms.ResizeImages("Image", Size, Size))
            .Append(ml.Transforms.FeaturizeMorphology("Features", "Image"))
            .Fit(files).Transform(files);
        var fromPatches = new FeaturizeMorphologyEstimatorProbe(patches).Features();
        var actual = fromImages.ReadBatches(["Features"]).SelectMany(b => b.GetFloats("Features")).ToArray();
        Assert.Equal(2 * MorphologyFeatures.Count, actual.Length);
        Assert.Equal(fromPatches, actual);
        Assert.NotEqual(actual[..MorphologyFeatures.Count], actual[MorphologyFeatures.Count..]);
    }

    [Fact]
    public void FeaturizeMorphology_OnImagesOfUnknownSize_SaysToResizeFirst()
    {
        using var folder = new TempFolder();
        var (paths, _) = WriteImages(folder.Path);
        var ml = new MLContext(1);
        var files = ml.Data.LoadFromEnumerable(paths.Select(p => new ImagePath { Path = p }));
        var images = ml.Transforms.LoadImages("Image", folder.Path, "Path").Fit(files).Transform(files);
        var error = Assert.Throws<SchemaMismatchException>(() => ml.Transforms.FeaturizeMorphology("Features", "Image").Fit(images));
        Assert.Equal("Image", error.Column);
        Assert.Contains("ResizeImages", error.Message);
    }

    /// <summary>The same featurizer over float patches built from the pixels in memory.</summary>
    private sealed class FeaturizeMorphologyEstimatorProbe(float[] patches)
    {
        public float[] Features()
        {
            var view = new InMemoryDataView([SchemaColumns.Create("Patch", ColumnTypes.FloatTensor(3, Size, Size))], 2,
                new Dictionary<string, Array> { ["Patch"] = patches });
            var ml = new MLContext(1);
            return ml.Transforms.FeaturizeMorphology("Features", "Patch").Fit(view).Transform(view)
                .ReadBatches(["Features"]).SelectMany(b => b.GetFloats("Features")).ToArray();
        }
    }
}
