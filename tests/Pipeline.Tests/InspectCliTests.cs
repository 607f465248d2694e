using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>`mlnetstem --version` and `mlnetstem inspect`: what a model archive holds, read back from a model trained here.</summary>
[Collection(Hdf5FileTests.Name)]
public class InspectCliTests
{
    [Fact]
    public void Version_NamesMlNetStemAndEveryEngine()
    {
        var (code, output, error) = CliTests.Run("--version");
        Assert.True(code == 0, error);
        Assert.Matches(@"^mlnetstem \S+ \(Microsoft\.ML 5\.0\.1, ONNX Runtime 1\.31\.1, libtorch 1\.13\.\d+, \.NET 10\.", output.Trim());
    }

    [Fact]
    public void Inspect_DescribesPipelinePanelAndTrainer_AndListsEveryGeneOnRequest()
    {
        using var folder = new TempFolder();
        string model = folder.File("m.zip");
        Assert.Equal(0, CliTests.Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--genes", "12", "--patch-um", "100",
            "--patch-px", "32", "--ranking", "variable").Code);
        var (code, output, error) = CliTests.Run("inspect", "--model", model);
        Assert.True(code == 0, error);
        Assert.Contains("1. SelectGenes: 12-gene panel chosen at training", output);
        Assert.Contains("LogNormalize: log2(x+1) of raw counts", output);
        Assert.Contains("LoadPatches: 100 µm around each spot, resampled to 32 px", output);
        Assert.Contains("trainer: ridge: 54 features → 12 genes", output);
        Assert.Contains("genes (12):", output);
        Assert.Contains("trained on: C2 (187 spots)", output);
        // The archive may also be given as the first argument; the output is the same.
        var positional = CliTests.Run("inspect", model);
        Assert.True(positional.Code == 0, positional.Err);
        Assert.Equal(output, positional.Out);
        Assert.Equal(2, CliTests.Run("inspect", model, "other.zip").Code);

        var listed = CliTests.Run("inspect", "--model", model, "--genes");
        var lines = listed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var genes = lines[(Array.FindIndex(lines, l => l.StartsWith("genes (12)", StringComparison.Ordinal)) + 1)..];
        // The same panel, in the same order, as the header of the model's predictions.
        Assert.Equal(0, CliTests.Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("p.csv")).Code);
        Assert.Equal(File.ReadLines(folder.File("p.csv")).First().Split(',')[3..], genes);

        var missing = CliTests.Run("inspect", "--model", folder.File("none.zip"));
        Assert.Equal(1, missing.Code);
        Assert.Contains("does not exist", missing.Err);
    }
}
