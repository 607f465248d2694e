using MlNetStem.Data;
using MlNetStem.TestKit;
using MlNetStem.Trainers;
using MlNetStem.Transforms;
using MlNetStem.Transforms.Expression;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public class TransformTests
{
    private static readonly MLContext Ml = SeededContext.Create(1);

    private static InMemoryDataView Counts(float[][] rows, string[] genes) => new(
        SchemaExtensions.Create([SchemaColumns.Create("Counts", ColumnTypes.FloatTensor(genes.Length), genes)]), rows.Length,
        new Dictionary<string, Array> { ["Counts"] = rows.SelectMany(r => r).ToArray() });

    private static InMemoryDataView TextCounts() => new(
        SchemaExtensions.Create([SchemaColumns.Create("Counts", ColumnTypes.Text)]), 1, new Dictionary<string, Array> { ["Counts"] = new[] { "1" } });

    // An unsequenced section: valid for the fitted panel (nothing to select), not for learning one.
    private static InMemoryDataView NoCounts() => new(
        SchemaExtensions.Create([SchemaColumns.Create("Barcode", ColumnTypes.Text)]), 2, new Dictionary<string, Array> { ["Barcode"] = new[] { "s1", "s2" } });

    private static readonly string[] Genes = ["A", "B", "C", "D"];
    private static InMemoryDataView Sample() => Counts([[10, 0, 1, 5], [20, 0, 3, 5], [30, 0, 0, 5], [0, 0, 0, 0]], Genes);

    [Fact]
    public void SelectGenes_PassesTheWorkout() =>
        EstimatorWorkout.Run(Ml.Transforms.SelectGenes("Expression", "Counts", top: 2), Sample(), TextCounts(), "Counts",
            transformOnly: NoCounts());

    [Fact]
    public void LogNormalize_PassesTheWorkout() =>
        EstimatorWorkout.Run(Ml.Transforms.LogNormalize("Log", "Counts"), Sample(), TextCounts(), "Counts");

    [Fact]
    public void DropEmptySpots_PassesTheWorkout() =>
        EstimatorWorkout.Run(Ml.Transforms.DropEmptySpots("Counts"), Sample(), TextCounts(), "Counts");

    [Fact]
    public void SelectGenes_HighlyExpressed_PicksTopMeansFromTrainingOnly()
    {
        var model = Ml.Transforms.SelectGenes("P", "Counts", top: 2, ranking: GeneRanking.HighlyExpressed).Fit(Sample());
        Assert.Equal(["A", "D"], model.Genes);
        // Applied to data with genes in another order: matched by name.
        var other = Counts([[7, 8, 9, 1]], ["D", "C", "B", "A"]);
        var panel = model.Transform(other).ReadBatches(["P"]).Single().GetFloats("P");
        Assert.Equal([1f, 7f], panel);
    }

    [Fact]
    public void SelectGenes_HighlyVariable_PrefersVaryingGenes()
    {
        var model = Ml.Transforms.SelectGenes("P", "Counts", top: 1, ranking: GeneRanking.HighlyVariable).Fit(Sample());
        Assert.Equal(["A"], model.Genes);
    }

    [Fact]
    public void SelectGenes_MissingGenesAtTransform_ErrorNamesThem_OrZeroWhenAllowed()
    {
        var strict = Ml.Transforms.SelectGenes("P", "Counts", genes: ["A", "Z"]).Fit(Sample());
        var error = Assert.Throws<SchemaMismatchException>(() => strict.Transform(Sample()));
        Assert.Contains("Z", error.Message);
        var lenient = Ml.Transforms.SelectGenes("P", "Counts", genes: ["A", "Z"], missingGenes: MissingGenePolicy.Zero).Fit(Sample());
        Assert.Equal([10f, 0f], lenient.Transform(Sample()).ReadBatches(["P"]).Single().GetFloats("P")[..2]);
    }

    [Fact]
    public void SelectGenes_EmptyPanel_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => Ml.Transforms.SelectGenes("P", "Counts", genes: []));
        Assert.Throws<ArgumentException>(() => Ml.Transforms.SelectGenes("P", "Counts", top: 0));
        var allZero = Counts([[0, 0], [0, 0]], ["A", "B"]);
        Assert.Contains("no gene", Assert.Throws<InvalidDataException>(() => Ml.Transforms.SelectGenes("P", "Counts", top: 5).Fit(allZero)).Message);
    }

    [Fact]
    public void SelectGenes_NaNOrNegativeCounts_AreRejectedWithGeneName()
    {
        var bad = Counts([[1, float.NaN]], ["A", "B"]);
        Assert.Contains("gene B", Assert.Throws<InvalidDataException>(() => Ml.Transforms.SelectGenes("P", "Counts", top: 1).Fit(bad)).Message);
        var negative = Counts([[1, -2]], ["A", "B"]);
        Assert.Throws<InvalidDataException>(() => Ml.Transforms.LogNormalize("L", "Counts").Fit(negative).Transform(negative).ReadBatches(["L"]).ToList());
    }

    [Fact]
    public void LogNormalize_ComputesLog2AndLog1p()
    {
        var data = Counts([[0, 1, 3, 7]], Genes);
        var log2 = Ml.Transforms.LogNormalize("L", "Counts").Fit(data).Transform(data).ReadBatches(["L"]).Single().GetFloats("L");
        Assert.Equal([0f, 1f, 2f, 3f], log2.Select(v => MathF.Round(v, 5)));
        var ln = Ml.Transforms.LogNormalize("L", "Counts", LogBase.Natural).Fit(data).Transform(data).ReadBatches(["L"]).Single().GetFloats("L");
        Assert.Equal(MathF.Log(8), ln[3], 5);
    }

    [Fact]
    public void DropEmptySpots_RemovesAllZeroRows()
    {
        var kept = Ml.Transforms.DropEmptySpots("Counts").Fit(Sample()).Transform(Sample());
        Assert.Equal(3, kept.ReadBatches(["Counts"]).Sum(b => b.RowCount));
    }

    [Fact]
    public void ExpressionTransforms_PassThroughWhenCountsAreAbsent()
    {
        var model = Ml.Transforms.SelectGenes("E", "Counts", top: 2).Append(Ml.Transforms.LogNormalize("E")).Append(Ml.Transforms.DropEmptySpots("E")).Fit(Sample());
        var noCounts = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Id", ColumnTypes.Text)]), 1, new Dictionary<string, Array> { ["Id"] = new[] { "s" } });
        Assert.Null(model.Transform(noCounts).Schema.Find("E"));
    }
}
