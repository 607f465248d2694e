using System.Globalization;
using System.Text.Json;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>Several sections through the CLI: train on a cohort, evaluate per section, and the benchmark command.</summary>
[Collection(Hdf5FileTests.Name)]
public class BenchmarkCliTests
{
    private static readonly string C2 = RepositoryPaths.Her2st("C2"), C3 = RepositoryPaths.Her2st("C3");

    [Fact]
    public void Benchmark_LeaveOneSectionOut_MatchesTrainThenEvaluate_ForEachDirection()
    {
        using var folder = new TempFolder();
        var (code, output, error) = CliTests.Run("benchmark", "--input", $"{C2},{C3}", "--split", "leave-one-section-out",
            "--trainers", "ridge,hest-ridge", "--genes", "30", "--patch-px", "64", "--output", folder.File("bench"));
        Assert.True(code == 0, error);
        Assert.Contains("leave-one-section-out over 2 sections (C2, C3)", output);
        Assert.Contains("average", output);

        var rows = File.ReadAllLines(folder.File(Path.Combine("bench", "benchmark.csv")));
        Assert.Equal(1 + 2 * 2, rows.Length);    // header + 2 held-out sections × 2 trainers
        double Pcc(string section, string trainer) => double.Parse(
            rows.Single(r => r.StartsWith($"{section},{section},{trainer},", StringComparison.Ordinal)).Split(',')[5], CultureInfo.InvariantCulture);

        // The same numbers as training on one section and evaluating on the other with train and evaluate.
        foreach (var (train, test, name) in new[] { (C2, C3, "C3"), (C3, C2, "C2") })
        {
            string model = folder.File($"to-{name}.zip"), metrics = folder.File($"to-{name}.json");
            Assert.Equal(0, CliTests.Run("train", "--input", train, "--model", model, "--genes", "30", "--patch-px", "64").Code);
            var evaluated = CliTests.Run("evaluate", "--input", test, "--model", model, "--output", metrics);
            Assert.True(evaluated.Code == 0, evaluated.Err);
            double expected = JsonDocument.Parse(File.ReadAllText(metrics)).RootElement.GetProperty("MeanPcc").GetDouble();
            Assert.Equal(expected, Pcc(name, "ridge"), 9);
        }

        using var json = JsonDocument.Parse(File.ReadAllText(folder.File(Path.Combine("bench", "benchmark.json"))));
        var folds = json.RootElement.GetProperty("folds");
        Assert.Equal(2, folds.GetArrayLength());
        Assert.All(folds.EnumerateArray(), f => Assert.Equal(30, f.GetProperty("panel").GetArrayLength()));
        Assert.Equal("log2(x+1) of raw counts", json.RootElement.GetProperty("settings").GetProperty("normalization").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("seed").GetInt32());
    }

    [Fact]
    public void Benchmark_WithStAnd_DetectsNucleiOnTheFeaturizedSections()
    {
        // ST-AnD reads the H&E itself, so the featurized sections must keep their image column (they did not: "column 'Image'
        // not found"), and nuclei are detected on slides the featurizer already opened.
        using var folder = new TempFolder();
        var (code, output, error) = CliTests.Run("benchmark", "--input", $"{C2},{C3}", "--trainers", "stand", "--genes", "5",
            "--epochs", "1", "--output", folder.File("bench"));
        Assert.True(code == 0, error);
        Assert.Contains("stand", output);
        Assert.Equal(3, File.ReadAllLines(folder.File(Path.Combine("bench", "benchmark.csv"))).Length);   // header + 2 folds
    }

    [Fact]
    public void Benchmark_ATrainersResults_DoNotDependOnTheOtherTrainers()
    {
        // Each fit gets a fresh context with the run's seed, so a seeded trainer (mlp) scores the same alone or after ridge.
        using var folder = new TempFolder();
        double[] MlpPcc(string trainers, string name)
        {
            var (code, _, error) = CliTests.Run("benchmark", "--input", $"{C2},{C3}", "--trainers", trainers, "--epochs", "5",
                "--genes", "10", "--patch-px", "32", "--output", folder.File(name));
            Assert.True(code == 0, error);
            return File.ReadAllLines(folder.File(Path.Combine(name, "benchmark.csv"))).Skip(1).Select(l => l.Split(','))
                .Where(r => r[2] == "mlp").Select(r => double.Parse(r[5], CultureInfo.InvariantCulture)).ToArray();
        }
        var alone = MlpPcc("mlp", "alone");
        Assert.Equal(2, alone.Length);
        Assert.Equal(alone, MlpPcc("ridge,mlp", "after-ridge"));
    }

    [Fact]
    public void Benchmark_ManifestSplit_AndPatientSplitWithoutPatients()
    {
        using var folder = new TempFolder();
        string manifest = folder.File("cohort.csv");
        File.WriteAllText(manifest, $"path,split\n{C2},train\n{C3},test\n");
        var (code, output, error) = CliTests.Run("benchmark", "--manifest", manifest, "--split", "manifest", "--trainers", "ridge",
            "--genes", "20", "--patch-px", "64", "--output", folder.File("b"));
        Assert.True(code == 0, error);
        Assert.Contains("manifest split over 2 sections", output);
        Assert.Equal(2, File.ReadAllLines(folder.File(Path.Combine("b", "benchmark.csv"))).Length);

        var refused = CliTests.Run("benchmark", "--input", $"{C2},{C3}", "--split", "leave-one-patient-out");
        Assert.Equal(2, refused.Code);
        Assert.Contains("needs a patient id for every section", refused.Err);
    }

    [Fact]
    public void Train_OnTwoSections_PredictsEither_AndEvaluateScoresEachSection()
    {
        using var folder = new TempFolder();
        string model = folder.File("cohort.zip");
        var trained = CliTests.Run("train", "--input", C2, "--input", C3, "--model", model, "--genes", "20", "--patch-px", "64");
        Assert.True(trained.Code == 0, trained.Err);
        Assert.Contains("combined 2 sections: 367 spots", trained.Err);
        Assert.Contains("section C3 lacks", trained.Err);

        var evaluated = CliTests.Run("evaluate", "--input", $"{C2},{C3}", "--model", model, "--output", folder.File("m.json"));
        Assert.True(evaluated.Code == 0, evaluated.Err);
        using var json = JsonDocument.Parse(File.ReadAllText(folder.File("m.json")));
        Assert.Equal(186, json.RootElement.GetProperty("C2").GetProperty("SpotCount").GetInt32());
        Assert.Equal(179, json.RootElement.GetProperty("C3").GetProperty("SpotCount").GetInt32());
        // Both sections were trained on: the fit is good on each (held-out C3 alone gives about 0.5 at 250 genes).
        Assert.All(new[] { "C2", "C3" }, s => Assert.True(json.RootElement.GetProperty(s).GetProperty("MeanPcc").GetDouble() > 0.55));
    }
}
