using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// The figures README.md quotes are what the documented commands print today: each test reruns a command and compares
/// its metrics with the numbers parsed out of the README, to the digits the README gives. Ridge and the morphology
/// features are deterministic (closed form, GCV on a fixed grid), so their figures must match exactly to those digits;
/// a diffusion figure may differ by the seed-to-seed spread the README documents next to it.
/// </summary>
[Collection(Hdf5FileTests.Name)]
public class ReadmeFiguresTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));

    private static Match Find(string pattern)
    {
        var match = Regex.Match(Readme, pattern, RegexOptions.Singleline);
        Assert.True(match.Success, $"README.md no longer contains /{pattern}/: update this test with the README");
        return match;
    }

    /// <summary>Asserts <paramref name="measured"/> rounds to the README's <paramref name="documented"/> at its own precision.</summary>
    private static void SameToTheDigitsShown(string name, string documented, double measured)
    {
        int digits = documented.Contains('.') ? documented.Length - documented.IndexOf('.') - 1 : 0;
        double shown = double.Parse(documented, CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(measured - shown) <= 0.5 * Math.Pow(10, -digits) + 1e-9,
            $"{name}: README says {documented}, the command gives {measured.ToString("R", CultureInfo.InvariantCulture)}");
    }

    private static JsonElement Metrics(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    [Fact]
    public void DefaultDemo_GivesTheFiguresOfWhatTheDemoDoes()
    {
        using var folder = new TempFolder();
        var (code, _, error) = CliTests.Run("demo", "--output", folder.File("demo"));
        Assert.True(code == 0, error);
        var metrics = Metrics(folder.File(Path.Combine("demo", "metrics.json")));
        var m = Find(@"ridge\): mean PCC ([\d.]+), PCC-10 ([\d.]+), PCC-50 ([\d.]+),\s+PCC-200 ([\d.]+), MSE ([\d.]+), MAE ([\d.]+), RVD ([\d.]+);");
        string[] keys = ["MeanPcc", "Pcc10", "Pcc50", "Pcc200", "Mse", "Mae", "Rvd"];
        for (int i = 0; i < keys.Length; i++) SameToTheDigitsShown(keys[i], m.Groups[i + 1].Value, metrics.GetProperty(keys[i]).GetDouble());
    }

    [Fact]
    public void StemDemoAt50Genes_GivesTheRidgeFiguresExactly_AndStemWithinItsSeedSpread()
    {
        using var folder = new TempFolder();
        var (code, _, error) = CliTests.Run("demo", "--trainer", "ridge,stem", "--genes", "50", "--point-estimate", "preserve-variance",
            "--output", folder.File("demo"));
        Assert.True(code == 0, error);
        var ridge = Metrics(folder.File(Path.Combine("demo", "metrics-ridge.json")));
        var stem = Metrics(folder.File(Path.Combine("demo", "metrics-stem.json")));
        var m = Find(@"ridge mean PCC ([\d.]+), MSE ([\d.]+), RVD ([\d.]+); Stem \(CPU preset\) mean PCC ([\d.]+),.*?Over 5 seeds the Stem preset gives mean PCC ([\d.]+) ± ([\d.]+)");
        SameToTheDigitsShown("ridge MeanPcc", m.Groups[1].Value, ridge.GetProperty("MeanPcc").GetDouble());
        SameToTheDigitsShown("ridge Mse", m.Groups[2].Value, ridge.GetProperty("Mse").GetDouble());
        SameToTheDigitsShown("ridge Rvd", m.Groups[3].Value, ridge.GetProperty("Rvd").GetDouble());
        // Stem's figure is one seed's; training threads may sum in another order on another machine, so it is held to
        // the documented spread over seeds (3 sd), not to its digits.
        double documented = double.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture);
        double spread = 3 * double.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture);
        Assert.InRange(stem.GetProperty("MeanPcc").GetDouble(), documented - spread, documented + spread);
    }

    [Fact]
    public void BenchmarkTable_GivesTheRidgeAndHestRidgeColumns()
    {
        using var folder = new TempFolder();
        var (code, _, error) = CliTests.Run("benchmark", "--input", $"{RepositoryPaths.Her2st("C2")},{RepositoryPaths.Her2st("C3")}",
            "--trainers", "ridge,hest-ridge", "--genes", "50", "--ranking", "variable", "--output", folder.File("bench"));
        Assert.True(code == 0, error);
        var rows = File.ReadAllLines(folder.File(Path.Combine("bench", "benchmark.csv"))).Skip(1).Select(l => l.Split(',')).ToArray();
        double Value(string section, string trainer, int column) => double.Parse(
            rows.Single(r => r[1] == section && r[2] == trainer)[column], CultureInfo.InvariantCulture);
        foreach (var (section, label) in new[] { ("C2", @"C2 \(trained on C3\)"), ("C3", @"C3 \(trained on C2\)") })
        {
            var m = Find($@"\| mean PCC, {label} \| ([\d.]+) \| ([\d.]+) \|");
            SameToTheDigitsShown($"ridge on {section}", m.Groups[1].Value, Value(section, "ridge", 5));
            SameToTheDigitsShown($"hest-ridge on {section}", m.Groups[2].Value, Value(section, "hest-ridge", 5));
        }
    }
}
