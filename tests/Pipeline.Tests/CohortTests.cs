using MlNetStem.Data;
using MlNetStem.Host;
using MlNetStem.Host.Benchmarking;
using MlNetStem.TestKit;
using MlNetStem.Transforms.Expression;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>Cohorts: manifests, the protocols' folds, per-section µm/px, and no leakage from test sections into a fold's model.</summary>
public class CohortTests
{
    [Fact]
    public void Manifest_ReadsPathsRelativeToItself_WithPatientMppAndSplit()
    {
        using var folder = new TempFolder();
        string manifest = folder.File("cohort.tsv");
        string c3 = Path.GetRelativePath(folder.Path, RepositoryPaths.Her2st("C3"));
        File.WriteAllText(manifest, "# two sections of patient C\npath\tpatient\tmpp\tsplit\tname\n" +
            $"{RepositoryPaths.Her2st("C2")}\tC\t0.5\tTRAIN\t\n\n{c3}\tC\t\ttest\tthird\n");
        var entries = SectionManifest.Read(manifest);
        Assert.Equal(2, entries.Count);
        Assert.Equal(new SectionEntry(Path.GetFullPath(RepositoryPaths.Her2st("C2")), "C2", "C", 0.5, "train"), entries[0]);
        Assert.Equal(new SectionEntry(Path.GetFullPath(RepositoryPaths.Her2st("C3")), "third", "C", null, "test"), entries[1]);
    }

    [Theory]
    [InlineData("where,patient\nx,1\n", "needs a 'path' column")]
    [InlineData("path,donor\nC2,1\n", "unknown column 'donor'")]
    [InlineData("path,patient\nnowhere,1\n", "line 2: section 'nowhere' does not exist")]
    [InlineData("path,mpp\n{C2},-1\n", "line 2: mpp '-1' is not a positive number")]
    [InlineData("path,mpp\n{C2},1,2\n", "line 2: 3 fields; the header has 2")]
    [InlineData("path\n", "lists no section")]
    public void Manifest_Errors_NameTheLineAndTheProblem(string text, string expected)
    {
        using var folder = new TempFolder();
        string manifest = folder.File("m.csv");
        File.WriteAllText(manifest, text.Replace("{C2}", RepositoryPaths.Her2st("C2")));
        var error = Assert.Throws<InvalidDataException>(() => SectionManifest.Read(manifest));
        Assert.Contains(expected, error.Message);
        Assert.Contains("m.csv", error.Message);
    }

    private static readonly SectionEntry[] Cohort =
    [
        new("a1", "a1", "A"), new("a2", "a2", "A"), new("b1", "b1", "B"), new("c1", "c1", "C"), new("c2", "c2", "C"),
    ];

    [Fact]
    public void LeaveOnePatientOut_HoldsOutEachPatientWhole_AndNeverSplitsAPatient()
    {
        var folds = CohortSplits.Make(Cohort, CohortSplit.LeaveOnePatientOut);
        Assert.Equal(["patient A", "patient B", "patient C"], folds.Select(f => f.Name));
        Assert.Equal(["a1", "a2"], folds[0].Test);
        Assert.Equal(["b1", "c1", "c2"], folds[0].Train);
        var patientOf = Cohort.ToDictionary(s => s.Name, s => s.Patient);
        foreach (var fold in folds)
        {
            Assert.Empty(fold.Train.Intersect(fold.Test));
            Assert.Equal(Cohort.Length, fold.Train.Count + fold.Test.Count);
            Assert.Empty(fold.Train.Select(n => patientOf[n]).Intersect(fold.Test.Select(n => patientOf[n])));
        }
    }

    [Fact]
    public void LeaveOneSectionOut_HoldsOutEachSection_AndManifestSplitIsOneFold()
    {
        var folds = CohortSplits.Make(Cohort, CohortSplit.LeaveOneSectionOut);
        Assert.Equal(Cohort.Select(s => s.Name), folds.Select(f => f.Test.Single()));
        Assert.All(folds, f => Assert.Equal(Cohort.Length - 1, f.Train.Count));

        var withSplit = Cohort.Select((s, i) => s with { Split = i < 3 ? "train" : "test" }).ToArray();
        var manifest = Assert.Single(CohortSplits.Make(withSplit, CohortSplit.Manifest));
        Assert.Equal(["a1", "a2", "b1"], manifest.Train);
        Assert.Equal(["c1", "c2"], manifest.Test);
    }

    [Fact]
    public void Protocols_RefuseWhatTheyCannotSplit()
    {
        Assert.Contains("none for b1", Assert.Throws<ArgumentException>(() =>
            CohortSplits.Make(Cohort.Select(s => s.Name == "b1" ? s with { Patient = null } : s).ToArray(), CohortSplit.LeaveOnePatientOut)).Message);
        Assert.Contains("at least two patients", Assert.Throws<ArgumentException>(() =>
            CohortSplits.Make(Cohort.Select(s => s with { Patient = "A" }).ToArray(), CohortSplit.LeaveOnePatientOut)).Message);
        Assert.Contains("at least two sections", Assert.Throws<ArgumentException>(() => CohortSplits.Make(Cohort[..1], CohortSplit.LeaveOneSectionOut)).Message);
        Assert.Contains("'train' or 'test'", Assert.Throws<ArgumentException>(() => CohortSplits.Make(Cohort, CohortSplit.Manifest)).Message);
    }

    [Fact]
    public void LoadCohort_KeepsEachSectionsMicronsPerPixel_AndReportsMissingGenes()
    {
        var log = new StringWriter();
        var data = SectionReader.LoadCohort(
            [SectionEntry.FromPath(RepositoryPaths.Her2st("C2")) with { MicronsPerPixel = 0.5 }, SectionEntry.FromPath(RepositoryPaths.Her2st("C3"))],
            requireCounts: true, micronsPerPixel: 0.8, log);
        var images = (SlideReference[])data.GetColumnArray(SpotColumns.Image);
        var sections = (string[])data.GetColumnArray(SpotColumns.Section);
        Assert.All(images.Where((_, i) => sections[i] == "C2"), s => Assert.Equal(0.5, s.MicronsPerPixel));
        Assert.All(images.Where((_, i) => sections[i] == "C3"), s => Assert.Equal(0.8, s.MicronsPerPixel));   // the fallback
        Assert.Contains("section C3 lacks 695 of the 16516 genes", log.ToString());
    }

    /// <summary>A featurized section: random features, counts on <paramref name="genes"/> driven by the first feature.</summary>
    private static InMemoryDataView Featurized(int seed, string[] genes, int rows = 40)
    {
        var random = new Random(seed);
        var features = new float[rows * 6];
        var counts = new float[rows * genes.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int f = 0; f < 6; f++) features[r * 6 + f] = (float)random.NextDouble();
            for (int g = 0; g < genes.Length; g++) counts[r * genes.Length + g] = MathF.Round(20 * features[r * 6 + g % 6] + 5 * (float)random.NextDouble());
        }
        return new InMemoryDataView([
            SchemaColumns.Create(SpotColumns.Counts, ColumnTypes.FloatTensor(genes.Length), genes),
            SchemaColumns.Create("Features", ColumnTypes.FloatTensor(6)),
        ], rows, new Dictionary<string, Array> { [SpotColumns.Counts] = counts, ["Features"] = features });
    }

    [Theory]
    [InlineData("ridge")]
    [InlineData("hest-ridge")]
    [InlineData("mlp")]
    public void FitFold_ReadsOnlyTrainingSections_PerturbingTheTestSectionChangesNothing(string trainer)
    {
        string[] genes = ["G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8"];
        var settings = new PipelineSettings(Genes: 4, Ranking: GeneRanking.HighlyVariable, Trainer: trainer, Epochs: 5);
        var fold = new CohortFold("s3", ["s1", "s2"], ["s3"]);
        var cohort = new Dictionary<string, InMemoryDataView> { ["s1"] = Featurized(1, genes), ["s2"] = Featurized(2, genes), ["s3"] = Featurized(3, genes) };
        // The test section replaced by one with other counts, other genes and other features.
        var perturbed = new Dictionary<string, InMemoryDataView>(cohort) { ["s3"] = Featurized(99, ["X1", "X2", .. genes.Reverse()], rows: 7) };
        var probe = Featurized(4, genes, rows: 10);

        var model = CohortBenchmark.FitFold(new MLContext(1), settings, cohort, fold, TextWriter.Null);
        var same = CohortBenchmark.FitFold(new MLContext(1), settings, perturbed, fold, TextWriter.Null);
        Assert.Equal(Panel(model), Panel(same));
        Assert.Equal(Scores(model, probe), Scores(same, probe));

        // And the check can fail: perturbing a training section does change the model.
        var trainPerturbed = new Dictionary<string, InMemoryDataView>(cohort) { ["s1"] = Featurized(99, genes) };
        var other = CohortBenchmark.FitFold(new MLContext(1), settings, trainPerturbed, fold, TextWriter.Null);
        Assert.NotEqual(Scores(model, probe), Scores(other, probe));
    }

    private static IReadOnlyList<string> Panel(TransformerChain<ITransformer> model) => model.OfType<SelectGenesTransformer>().Single().Genes;

    private static float[] Scores(ITransformer model, IDataView data) =>
        model.Transform(data).ReadBatches(["Score"], 64).SelectMany(b => b.GetFloats("Score").ToArray()).ToArray();
}
