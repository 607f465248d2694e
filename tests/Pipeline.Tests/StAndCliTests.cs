using System.Text.Json;
using FluentAssertions;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary><c>train --trainer stand</c> then <c>nuclei --model</c> through the real CLI, the .h5ad read by the real anndata.</summary>
[Collection(Hdf5FileTests.Name)]
public class StAndCliTests
{
    private const string Reader = """
        import json, sys
        import anndata, numpy as np
        a = anndata.read_h5ad(sys.argv[1])
        print(json.dumps({
            "n_obs": int(a.n_obs), "n_vars": int(a.n_vars), "var_names": [str(v) for v in a.var_names],
            "obs_columns": list(a.obs.columns), "spatial": list(a.obsm["spatial"].shape),
            "x_finite": bool(np.all(np.isfinite(np.asarray(a.X)))), "x_min": float(np.min(a.X)), "x_max": float(np.max(a.X)),
            "x_std": float(np.std(np.asarray(a.X)[:, 0])), "spots": int(a.obs["spot"].nunique()),
            "model": str(a.uns["mlnetstem"]["model"]),
        }))
        """;

    [Fact]
    public void TrainStand_ThenNucleiWithTheModel_WritesPerNucleusExpressionThatAnnDataReads()
    {
        using var folder = new TempFolder();
        string section = folder.File("S1");
        SyntheticTissue.Write(section, seed: 5, grid: 6, pitch: 64);
        string model = folder.File("stand.zip"), output = folder.File("nuclei.h5ad"), map = folder.File("nuc.png");
        // The synthetic spots are 64 px apart at ~1 µm/px: disks of 60 µm hold each spot's own nuclei.
        var train = CliTests.Run("train", "--input", section, "--model", model, "--trainer", "stand", "--genes", "4", "--epochs", "2",
            "--spot-diameter-um", "60", "--mpp", "1");
        train.Code.Should().Be(0, train.Err);
        train.Out.Should().MatchRegex(@"ST-AnD \(Conv encoder, NoisyAnd pooling\): \d+ nuclei in \d+ spots → 4 genes");

        var run = CliTests.Run("nuclei", "--input", section, "--model", model, "--output", output, "--spot-diameter-um", "60", "--mpp", "1",
            "--map", map, "--map-gene", "NUC");
        run.Code.Should().Be(0, run.Err);
        run.Out.Should().MatchRegex(@"predicted 4 genes for \d+ nuclei");
        File.ReadAllBytes(map).Take(4).Should().Equal(0x89, (byte)'P', (byte)'N', (byte)'G');

        var export = CliTests.Run("export", "--model", model, "--onnx", folder.File("nucleus.onnx"));
        export.Code.Should().Be(0, export.Err);
        export.Out.Should().Contain("input crops [N,3,28,28] (nucleus crops); output nucleus_expression [N,4]");

        var (code, stdout, stderr) = ChildProcess.Run("/usr/bin/python3", ["-c", Reader, output]);
        code.Should().Be(0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        int n = r.GetProperty("n_obs").GetInt32();
        n.Should().BeGreaterThan(100, "36 spots of up to 30 drawn nuclei");
        r.GetProperty("n_vars").GetInt32().Should().Be(4);
        r.GetProperty("var_names").EnumerateArray().Select(e => e.GetString()).Should().BeSubsetOf(SyntheticTissue.Genes);
        r.GetProperty("obs_columns").EnumerateArray().Select(e => e.GetString()).Should().Equal("spot", "area_um2", "diameter_um", "mean_haematoxylin");
        r.GetProperty("spatial").EnumerateArray().Select(e => e.GetInt32()).Should().Equal(n, 2);
        r.GetProperty("x_finite").GetBoolean().Should().BeTrue();
        r.GetProperty("x_min").GetDouble().Should().BeGreaterThanOrEqualTo(0);
        r.GetProperty("spots").GetInt32().Should().BeGreaterThan(20);
        r.GetProperty("model").GetString().Should().Be(Path.GetFullPath(model));
    }

    [Fact]
    public void Nuclei_ModelWithoutStAnd_AndMapWithoutModel_AreUsageErrors()
    {
        using var folder = new TempFolder();
        string section = folder.File("S1");
        SyntheticTissue.Write(section, seed: 6, grid: 4, pitch: 64);
        string ridge = folder.File("ridge.zip");
        CliTests.Run("train", "--input", section, "--model", ridge, "--genes", "4", "--patch-px", "32", "--mpp", "1").Code.Should().Be(0);
        var wrong = CliTests.Run("nuclei", "--input", section, "--model", ridge, "--output", folder.File("n.h5ad"), "--mpp", "1");
        wrong.Code.Should().Be(2);
        wrong.Err.Should().Contain("holds no ST-AnD model").And.Contain("--trainer stand");
        var noModel = CliTests.Run("nuclei", "--input", section, "--output", folder.File("n.h5ad"), "--mpp", "1", "--map", folder.File("m.png"));
        noModel.Code.Should().Be(2);
        noModel.Err.Should().Contain("--map").And.Contain("--model");
    }
}
