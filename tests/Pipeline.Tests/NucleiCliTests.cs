using System.Globalization;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary><c>mlnetstem nuclei</c> through the real CLI: the .h5ad read by the real anndata, the CSV, usage errors.</summary>
[Collection(Hdf5FileTests.Name)]
public class NucleiCliTests
{
    private const string Reader = """
        import json, sys
        import anndata, numpy as np
        a = anndata.read_h5ad(sys.argv[1])
        spot = a.obs["spot"]
        counts = spot.value_counts()
        print(json.dumps({
            "n_obs": int(a.n_obs), "n_vars": int(a.n_vars), "obs_columns": list(a.obs.columns),
            "unique_names": bool(a.obs_names.is_unique),
            "spatial": list(a.obsm["spatial"].shape), "xy_min": float(np.min(a.obsm["spatial"])), "xy_max": float(np.max(a.obsm["spatial"])),
            "spot_dtype": str(spot.dtype), "no_spot": int(spot.isna().sum()), "spots": sorted(str(s) for s in spot.dropna().unique()),
            "median_per_spot": float(np.median(counts.values)),
            "area_median": float(np.median(a.obs["area_um2"])), "stain_mean": float(np.mean(a.obs["mean_haematoxylin"])),
            "mode": str(a.uns["mlnetstem"]["mode"]), "mpp": float(a.uns["mlnetstem"]["microns_per_pixel"]),
            "libraries": list(a.uns["spatial"].keys()),
            "hires": list(a.uns["spatial"]["C3"]["images"]["hires"].shape),
            "diameter_fullres": float(a.uns["spatial"]["C3"]["scalefactors"]["spot_diameter_fullres"]),
        }))
        """;

    [Fact]
    public void Nuclei_OnC3_WritesOneObsPerNucleusInsideTheSpots_ThatAnnDataReads()
    {
        using var folder = new TempFolder();
        string output = folder.File("nuclei.h5ad"), overlay = folder.File("overlay.png");
        var run = CliTests.Run("nuclei", "--input", RepositoryPaths.Her2st("C3"), "--output", output, "--overlay", overlay);
        run.Code.Should().Be(0, run.Err);
        run.Out.Should().MatchRegex(@"wrote \d+ nuclei to .*: \d+ inside 180 spots of 100 µm \(median [\d.]+ per spot");
        run.Out.Should().MatchRegex(@"detected in [\d.]+ s: \d+ nuclei/s, [\d.]+ spots/s, at 0.686 µm/px");

        var (code, stdout, stderr) = ChildProcess.Run("/usr/bin/python3", ["-c", Reader, output]);
        code.Should().Be(0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        int n = r.GetProperty("n_obs").GetInt32();
        n.Should().BeInRange(2000, 20000, "a 100 µm spot of breast tissue holds tens of nuclei; C3 has 180 spots");
        r.GetProperty("n_vars").GetInt32().Should().Be(0);
        r.GetProperty("unique_names").GetBoolean().Should().BeTrue();
        r.GetProperty("obs_columns").EnumerateArray().Select(e => e.GetString()).Should().Equal("spot", "area_um2", "diameter_um", "mean_haematoxylin");
        r.GetProperty("spatial").EnumerateArray().Select(e => e.GetInt32()).Should().Equal(n, 2);
        r.GetProperty("xy_min").GetDouble().Should().BeGreaterThan(0);
        r.GetProperty("xy_max").GetDouble().Should().BeLessThan(9936);
        r.GetProperty("spot_dtype").GetString().Should().Be("category");
        r.GetProperty("no_spot").GetInt32().Should().Be(0, "without --whole-tissue every nucleus lies in a spot");
        var barcodes = File.ReadAllLines(Path.Combine(RepositoryPaths.Her2st("C3"), "spots.tsv")).Skip(1)
            .Select(l => l.Split('\t')).Select(f => $"{f[0]}x{f[1]}").ToHashSet();
        r.GetProperty("spots").EnumerateArray().Select(e => e.GetString()!).Should().OnlyContain(s => barcodes.Contains(s));
        r.GetProperty("spots").GetArrayLength().Should().BeGreaterThan(170);
        r.GetProperty("median_per_spot").GetDouble().Should().BeInRange(10, 100);
        r.GetProperty("area_median").GetDouble().Should().BeInRange(10, 80);
        r.GetProperty("stain_mean").GetDouble().Should().BeGreaterThan(0.3);
        r.GetProperty("mode").GetString().Should().Be("inside spots");
        r.GetProperty("mpp").GetDouble().Should().BeApproximately(0.686, 0.001);
        r.GetProperty("libraries").EnumerateArray().Select(e => e.GetString()).Should().Equal("C3");
        r.GetProperty("hires").EnumerateArray().Select(e => e.GetInt32()).Should().Equal(2000, 1866, 3);
        // Nuclei drawn by scanpy at their median size (a few µm), not at the 100 µm of a spot.
        r.GetProperty("diameter_fullres").GetDouble().Should().BeInRange(4 / 0.686, 12 / 0.686);
        File.ReadAllBytes(overlay).Take(4).Should().Equal(0x89, (byte)'P', (byte)'N', (byte)'G');
    }

    [Fact]
    public void Nuclei_WholeTissueCsv_KeepsNucleiOutsideSpotsWithoutAParent()
    {
        using var folder = new TempFolder();
        string section = folder.File("S1");
        Directory.CreateDirectory(section);
        var (rgb, truth) = SyntheticNuclei.Generate(9, 1000, 800);
        PngEncoder.Save(new RgbImage(1000, 800, rgb), Path.Combine(section, "he.png"));
        // Two 100 µm spots on a 200 µm grid at 0.5 µm/px (200 px disks, 400 px apart).
        File.WriteAllText(Path.Combine(section, "spots.tsv"),
            "x\ty\tnew_x\tnew_y\tpixel_x\tpixel_y\tselected\n1\t1\t1\t1\t400\t400\t1\n2\t1\t2\t1\t800\t400\t1\n");
        string output = folder.File("nuclei.csv");
        var run = CliTests.Run("nuclei", "--input", section, "--output", output, "--whole-tissue", "--mpp", "0.5");
        run.Code.Should().Be(0, run.Err);
        var lines = File.ReadAllLines(output);
        lines[0].Should().Be("nucleus,x,y,area_um2,diameter_um,mean_haematoxylin,spot");
        var rows = lines.Skip(1).Select(l => l.Split(',')).Select(f => (X: double.Parse(f[1], CultureInfo.InvariantCulture),
            Y: double.Parse(f[2], CultureInfo.InvariantCulture), Spot: f[6])).ToList();
        SyntheticNuclei.Score(truth, rows.Select(r => (r.X, r.Y)).ToList(), 4).Recall.Should().BeGreaterThanOrEqualTo(0.9);
        foreach (var row in rows)
        {
            double d1 = Math.Sqrt((row.X - 400) * (row.X - 400) + (row.Y - 400) * (row.Y - 400));
            double d2 = Math.Sqrt((row.X - 800) * (row.X - 800) + (row.Y - 400) * (row.Y - 400));
            row.Spot.Should().Be(d1 <= 100 ? "1x1" : d2 <= 100 ? "2x1" : "");
        }
        rows.Count(r => r.Spot == "").Should().BeGreaterThan(rows.Count / 2);
        run.Out.Should().Contain("whole tissue");
    }

    [Fact]
    public void Nuclei_BadOutputExtension_AndAMissingImage_AreOneLineErrors()
    {
        using var folder = new TempFolder();
        var bad = CliTests.Run("nuclei", "--input", RepositoryPaths.Her2st("C3"), "--output", folder.File("n.txt"));
        bad.Code.Should().Be(2);
        bad.Err.Should().Contain("'--output").And.Contain(".h5ad or .csv");
        string section = folder.File("S");
        Directory.CreateDirectory(section);
        File.WriteAllText(Path.Combine(section, "spots.tsv"), "x\ty\tnew_x\tnew_y\tpixel_x\tpixel_y\tselected\n1\t1\t1\t1\t10\t10\t1\n");
        File.WriteAllBytes(Path.Combine(section, "he.jpg"), Encoding.ASCII.GetBytes("not a jpeg"));
        var corrupt = CliTests.Run("nuclei", "--input", section, "--output", folder.File("n.csv"), "--mpp", "0.5");
        corrupt.Code.Should().Be(1);
        corrupt.Err.Trim().Split('\n').Where(l => l.Contains("error")).Should().ContainSingle()
            .Which.Should().StartWith("mlnetstem nuclei: error: image").And.Contain("he.jpg").And.Contain("corrupt");
    }
}
