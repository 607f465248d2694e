using MlNetStem.Data;
using MlNetStem.TestKit;
using MlNetStem.Trainers;
using MlNetStem.Transforms;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>Several sections as one spot table: union of genes (absent genes zero, reported), each spot with its own image.</summary>
public class CombinedSectionsTests
{
    private static readonly MLContext Ml = new(1);

    [Fact]
    public void LoadSections_StacksSpots_OnTheUnionOfGenes_AndReportsWhatASectionLacks()
    {
        var c2 = Ml.Data.LoadSection(RepositoryPaths.Her2st("C2"));
        var c3 = Ml.Data.LoadSection(RepositoryPaths.Her2st("C3"));
        var combined = Ml.Data.LoadSections([RepositoryPaths.Her2st("C2"), RepositoryPaths.Her2st("C3")]);

        Assert.Equal(c2.Data.Rows + c3.Data.Rows, combined.Data.Rows);
        var sections = (string[])combined.Data.GetColumnArray(SpotColumns.Section);
        Assert.Equal(Enumerable.Repeat("C2", c2.Data.Rows).Concat(Enumerable.Repeat("C3", c3.Data.Rows)), sections);

        var genes2 = c2.Data.Schema[SpotColumns.Counts].SlotNames!;
        var genes3 = c3.Data.Schema[SpotColumns.Counts].SlotNames!;
        var union = combined.Data.Schema[SpotColumns.Counts].SlotNames!;
        Assert.Equal(genes2.Union(genes3).Count(), union.Count);
        Assert.Equal(genes2, union.Take(genes2.Count));

        // A gene only C3 measured: zero on C2's spots, C3's own counts on C3's spots.
        string only3 = genes3.First(g => !genes2.Contains(g));
        int u = union.ToList().IndexOf(only3), o = genes3.ToList().IndexOf(only3);
        var counts = (float[])combined.Data.GetColumnArray(SpotColumns.Counts);
        var own3 = (float[])c3.Data.GetColumnArray(SpotColumns.Counts);
        for (int r = 0; r < c2.Data.Rows; r++) Assert.Equal(0f, counts[(long)r * union.Count + u]);
        for (int r = 0; r < c3.Data.Rows; r++)
            Assert.Equal(own3[(long)r * genes3.Count + o], counts[(long)(c2.Data.Rows + r) * union.Count + u]);
        Assert.Contains(combined.Notes, n => n.StartsWith("section C2 lacks", StringComparison.Ordinal));

        // Each spot keeps its own slide.
        var images = (SlideReference[])combined.Data.GetColumnArray(SpotColumns.Image);
        Assert.Equal(2, images.Select(i => i.Path).Distinct().Count());
    }

    [Fact]
    public void CombinedSections_TrainAPipeline_ThatPredictsAnotherSection()
    {
        var train = Ml.Data.LoadSections([RepositoryPaths.Her2st("C2"), RepositoryPaths.Her2st("C3")]).Data;
        var model = Ml.Transforms.SelectGenes("Expression", "Counts", top: 20, missingGenes: Transforms.Expression.MissingGenePolicy.Zero)
            .Append(Ml.Transforms.LogNormalize("Expression"))
            .Append(Ml.Transforms.DropEmptySpots("Expression"))
            .Append(Ml.Transforms.LoadPatches("Patch", "Image", sizeMicrons: 112, sizePixels: 64))
            .Append(Ml.Transforms.FeaturizeMorphology("Features", "Patch"))
            .Append(Ml.SpatialExpression().Trainers.Ridge("Expression", "Features", "Score"))
            .Fit(train);
        var metrics = Ml.SpatialExpression().Evaluate(model.Transform(Ml.Data.LoadHer2st(RepositoryPaths.Her2st("C3")).Data));
        Assert.Equal(20, metrics.GeneCount);
        Assert.True(metrics.MeanPcc > 0.3, $"mean PCC {metrics.MeanPcc} on a section seen in training");
    }

    [Fact]
    public void LoadSections_SameNameTwice_IsAClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => Ml.Data.LoadSections([RepositoryPaths.Her2st("C2"), RepositoryPaths.Her2st("C2")]));
        Assert.Contains("repeat", error.Message);
    }
}
