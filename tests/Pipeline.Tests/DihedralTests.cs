using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public class DihedralTests
{
    private static readonly MLContext Ml = SeededContext.Create(1);

    private static float[] Ramp(int channels, int size) =>
        Enumerable.Range(0, channels * size * size).Select(i => (float)i).ToArray();

    private static float[] View(float[] chw, int channels, int size, int view)
    {
        var result = new float[chw.Length];
        DihedralTransform.Apply(chw, channels, size, view, result);
        return result;
    }

    [Fact]
    public void Views_FormTheDihedralGroup()
    {
        var patch = Ramp(2, 5);
        Assert.Equal(patch, View(patch, 2, 5, 0));
        var turned = patch;
        for (int i = 0; i < 4; i++) turned = View(turned, 2, 5, 1);
        Assert.Equal(patch, turned);                                     // four quarter turns
        Assert.Equal(patch, View(View(patch, 2, 5, 4), 2, 5, 4));        // flip twice
        var all = Enumerable.Range(0, 8).Select(v => string.Join(",", View(patch, 2, 5, v))).ToHashSet();
        Assert.Equal(8, all.Count);                                      // eight distinct views
        // A quarter turn counter-clockwise moves the top-right pixel to the top-left.
        Assert.Equal(patch[4], View(patch, 2, 5, 1)[0]);
    }

    [Fact]
    public void Apply_BadView_IsRejected() =>
        Assert.Throws<ArgumentException>(() => DihedralTransform.Apply(new float[4], 1, 2, 8, new float[4]));

    private static InMemoryDataView Patches(int rows, int size, int seed)
    {
        var random = new Random(seed);
        var values = new float[rows * 3 * size * size];
        for (int i = 0; i < values.Length; i++) values[i] = (float)random.NextDouble();
        return new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Patch", ColumnTypes.FloatTensor(3, size, size))]), rows,
            new Dictionary<string, Array> { ["Patch"] = values });
    }

    [Fact]
    public void FeaturizeMorphology_DihedralViews_PassesTheWorkout_AndViewZeroIsThePlainFeatures()
    {
        var patches = Patches(3, 32, 1);
        var bad = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Patch", ColumnTypes.Text)]), 1, new Dictionary<string, Array> { ["Patch"] = new[] { "x" } });
        EstimatorWorkout.Run(Ml.Transforms.FeaturizeMorphology("Views", "Patch", dihedralViews: true), patches, bad, "Patch");

        var views = Ml.Transforms.FeaturizeMorphology("Views", "Patch", dihedralViews: true).Fit(patches).Transform(patches);
        Assert.Equal(ColumnTypes.FloatTensor(8, MorphologyFeatures.Count), views.Schema["Views"].Type);
        var plain = Ml.Transforms.FeaturizeMorphology("Plain", "Patch").Fit(patches).Transform(patches).ReadBatches(["Plain"]).Single().GetFloats("Plain");
        var first = Ml.Transforms.SelectView("First", "Views").Fit(views).Transform(views).ReadBatches(["First"]).Single().GetFloats("First");
        Assert.Equal(plain, first);
    }

    [Fact]
    public void QuarterTurn_SwapsHorizontalAndVerticalContrast()
    {
        // Horizontal stripes (4 px bands of purple and pink): contrast only along y; a quarter turn moves it to x.
        int size = 32, plane = size * size;
        var stripes = new float[3 * plane];
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            bool dark = y / 4 % 2 == 0;
            stripes[y * size + x] = dark ? 0.3f : 0.9f;
            stripes[plane + y * size + x] = dark ? 0.15f : 0.6f;
            stripes[2 * plane + y * size + x] = dark ? 0.5f : 0.8f;
        }
        var patches = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Patch", ColumnTypes.FloatTensor(3, size, size))]), 1,
            new Dictionary<string, Array> { ["Patch"] = stripes });
        var views = Ml.Transforms.FeaturizeMorphology("Views", "Patch", dihedralViews: true).Fit(patches).Transform(patches)
            .ReadBatches(["Views"]).Single().GetFloats("Views");
        var names = MorphologyFeatures.Names.ToList();
        int cx = names.IndexOf("haematoxylin_contrast_x"), cy = names.IndexOf("haematoxylin_contrast_y"), d = names.Count;
        Assert.True(views[cx] < 1e-6f && views[cy] > 0.05f, $"view 0: x {views[cx]}, y {views[cy]}");
        Assert.True(views[d + cy] < 1e-6f && views[d + cx] > 0.05f, $"view 1: x {views[d + cx]}, y {views[d + cy]}");
    }

    [Fact]
    public void SelectView_PassesTheWorkout_AndRejectsAMissingView()
    {
        var data = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("V", ColumnTypes.FloatTensor(2, 3), ["a0", "b0", "c0", "a1", "b1", "c1"])]), 2,
            new Dictionary<string, Array> { ["V"] = new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 } });
        var flat = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("V", ColumnTypes.FloatTensor(6))]), 1, new Dictionary<string, Array> { ["V"] = new float[6] });
        EstimatorWorkout.Run(Ml.Transforms.SelectView("One", "V", view: 1), data, flat, "V");
        var one = Ml.Transforms.SelectView("One", "V", view: 1).Fit(data).Transform(data);
        Assert.Equal([4f, 5, 6, 10, 11, 12], one.ReadBatches(["One"]).Single().GetFloats("One"));
        Assert.Equal(["a1", "b1", "c1"], one.Schema["One"].SlotNames!);
        Assert.Throws<SchemaMismatchException>(() => Ml.Transforms.SelectView("X", "V", view: 2).Fit(data));
    }

    [Fact]
    public void StandardPipeline_WithDihedralViews_RegressorsSeeViewZeroAndDiffusionAllViews()
    {
        var train = Ml.Data.TakeRows(Her2stLoader.Load(RepositoryPaths.Her2st("C2")).Data, 40);
        var ridge = MlNetStem.Host.StandardPipeline.Build(Ml, new MlNetStem.Host.PipelineSettings(Genes: 5, PatchPixels: 32, DihedralViews: true)).Fit(train);
        Assert.Contains(ridge, t => t is MlNetStem.Transforms.Features.SelectViewTransformer);
        Assert.Equal(MorphologyFeatures.Count, ((MlNetStem.Trainers.Ridge.RidgeTransformer)ridge.LastTransformer).FeatureCount);
        var stem = MlNetStem.Host.StandardPipeline.Build(Ml, new MlNetStem.Host.PipelineSettings(Genes: 5, PatchPixels: 32, DihedralViews: true,
            Trainer: "stem-fast", Epochs: 1)).Fit(train);
        var diffusion = (MlNetStem.Trainers.Diffusion.StemDiffusionTransformer)stem.LastTransformer;
        Assert.Equal(8, diffusion.Views);
        Assert.DoesNotContain(stem, t => t is MlNetStem.Transforms.Features.SelectViewTransformer);
    }
}
