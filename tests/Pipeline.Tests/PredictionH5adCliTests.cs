using System.Text.Json;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// A diffusion model's prediction .h5ad, opened with the real anndata: one pair of layers per interval level, and uns
/// saying what the numbers are (log base, interval levels) and how they were made (trainer, sampler, draws, seed, µm/px).
/// </summary>
[Collection(Hdf5FileTests.Name)]
public class PredictionH5adCliTests
{
    private const string Reader = """
        import json, sys
        import anndata, numpy as np
        a = anndata.read_h5ad(sys.argv[1])
        u = a.uns["mlnetstem"]
        print(json.dumps({
            "n_obs": int(a.n_obs), "n_vars": int(a.n_vars),
            "layers": sorted(a.layers.keys()),
            "levels": [float(x) for x in u["interval_levels"]],
            "normalization": str(u["normalization"]),
            "extra": {k: str(v) for k, v in u["extra"].items()},
            "first_level_is_lower": bool(np.array_equal(a.layers["lower"], a.layers["lower_80"])),
            "nested": bool((a.layers["lower_90"] <= a.layers["lower_80"] + 1e-6).all() and (a.layers["upper_80"] <= a.layers["upper_90"] + 1e-6).all()),
        }))
        """;

    [Fact]
    public void StemPrediction_OpensInAnnData_WithLayersPerLevel_AndItsProvenance()
    {
        using var folder = new TempFolder();
        string model = folder.File("stem.zip"), output = folder.File("p.h5ad");
        var train = CliTests.Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--trainer", "stem", "--epochs", "2",
            "--genes", "10", "--patch-px", "32");
        Assert.True(train.Code == 0, train.Err);
        var predict = CliTests.Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", output,
            "--draws", "6", "--steps", "3", "--sample-seed", "5");
        Assert.True(predict.Code == 0, predict.Err);

        var (code, stdout, stderr) = ChildProcess.Run("/usr/bin/python3", ["-c", Reader, output]);
        Assert.True(code == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(180, r.GetProperty("n_obs").GetInt32());
        Assert.Equal(10, r.GetProperty("n_vars").GetInt32());
        var layers = r.GetProperty("layers").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Subset(layers.ToHashSet(), new HashSet<string?> { "std", "lower", "upper", "lower_80", "upper_80", "lower_90", "upper_90" });
        Assert.Equal([0.8, 0.9], r.GetProperty("levels").EnumerateArray().Select(e => e.GetDouble()));
        Assert.StartsWith("log2(x+1)", r.GetProperty("normalization").GetString());
        Assert.True(r.GetProperty("first_level_is_lower").GetBoolean(), "lower is not the 80% lower bound");
        Assert.True(r.GetProperty("nested").GetBoolean(), "the 80% interval is not inside the 90% one");
        var extra = r.GetProperty("extra");
        Assert.Equal("6", extra.GetProperty("draws").GetString());
        Assert.Equal("3", extra.GetProperty("steps").GetString());
        Assert.Equal("5", extra.GetProperty("prediction_seed").GetString());
        Assert.Equal("mean", extra.GetProperty("point_estimate").GetString());
        Assert.StartsWith("Stem diffusion", extra.GetProperty("trainer").GetString());
        Assert.True(double.Parse(extra.GetProperty("microns_per_pixel").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
    }
}
