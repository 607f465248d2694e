using System.Text.Json;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// A diffusion model's prediction .h5ad, opened with the real anndata: one pair of layers per interval level, uns
/// saying what the numbers are (log base, interval levels, clipping) and how they were made (trainer, sampler, draws, seed,
/// µm/px), scanpy's uns['spatial'] (H&amp;E thumbnails and scale factors, the layout sc.pl.spatial reads), the model's
/// features as obsm, and predictions clipped at 0 in both formats.
/// </summary>
[Collection(Hdf5FileTests.Name)]
public class PredictionH5adCliTests
{
    private const string Reader = """
        import json, sys
        import anndata, numpy as np
        a = anndata.read_h5ad(sys.argv[1])
        u = a.uns["mlnetstem"]
        libs = list(a.uns["spatial"].keys())
        lib = a.uns["spatial"][libs[0]]
        images = {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in lib["images"].items()}
        sf = {k: float(v) for k, v in lib["scalefactors"].items()}
        xy = a.obsm["spatial"]
        hires = lib["images"]["hires"]
        # Where sc.pl.spatial puts the spots on the hires image: every one must land inside it.
        px = xy * sf["tissue_hires_scalef"]
        def low(name): return float(np.min(a.layers[name]))
        print(json.dumps({
            "n_obs": int(a.n_obs), "n_vars": int(a.n_vars),
            "layers": sorted(a.layers.keys()),
            "levels": [float(x) for x in u["interval_levels"]],
            "normalization": str(u["normalization"]),
            "clipping": str(u["clipping"]), "clipped_at_zero": bool(u["clipped_at_zero"]),
            "mpp": float(u["microns_per_pixel"]),
            "mpp_is_number": isinstance(u["microns_per_pixel"], (float, np.floating)),
            "extra": {k: str(v) for k, v in u["extra"].items()},
            "first_level_is_lower": bool(np.array_equal(a.layers["lower"], a.layers["lower_80"])),
            "nested": bool((a.layers["lower_90"] <= a.layers["lower_80"] + 1e-6).all() and (a.layers["upper_80"] <= a.layers["upper_90"] + 1e-6).all()),
            "libraries": libs, "images": images, "scalefactors": sf,
            "spots_inside_hires": bool((px >= 0).all() and (px[:, 0] < hires.shape[1]).all() and (px[:, 1] < hires.shape[0]).all()),
            "min_x": float(np.min(a.X)), "min_lower": min(low(k) for k in a.layers if k.startswith("lower")),
            "min_upper": min(low(k) for k in a.layers if k.startswith("upper")), "min_mean": low("mean") if "mean" in a.layers else 0.0,
            "x_is_clipped_raw": bool(np.array_equal(a.X, np.maximum(a.layers["raw"], 0))),
            "raw_has_negatives": bool((a.layers["raw"] < 0).any()),
            "obsm": {k: list(v.shape) for k, v in a.obsm.items()},
            "feature_names": len(u["feature_names"]["X_morphology"]),
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
            "--draws", "6", "--steps", "3", "--sample-seed", "5", "--keep-raw", "--with-features");
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

        // µm/px is a number now (C3's is estimated from its 200 µm spot grid, about 0.69).
        Assert.True(r.GetProperty("mpp_is_number").GetBoolean(), "uns['mlnetstem']['microns_per_pixel'] is not a number");
        double mpp = r.GetProperty("mpp").GetDouble();
        Assert.InRange(mpp, 0.6, 0.8);
        Assert.False(extra.TryGetProperty("microns_per_pixel", out _));

        // scanpy's layout: uns['spatial']['C3'] with uint8 RGB hires (longer side 2000) and lowres (600) images and the factors
        // sc.pl.spatial multiplies obsm['spatial'] by; the spot diameter is the ST spot (100 µm) in full-resolution pixels.
        Assert.Equal(["C3"], r.GetProperty("libraries").EnumerateArray().Select(e => e.GetString()));
        var images = r.GetProperty("images");
        foreach (var (key, side) in new[] { ("hires", 2000), ("lowres", 600) })
        {
            var image = images.GetProperty(key);
            Assert.Equal("uint8", image.GetProperty("dtype").GetString());
            var shape = image.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(3, shape.Length);
            Assert.Equal(3, shape[2]);
            Assert.Equal(side, Math.Max(shape[0], shape[1]));
        }
        var sf = r.GetProperty("scalefactors");
        // C3's he.jpg is 9270 x 9936 px: the longer side (height) becomes 2000 and 600 px.
        Assert.Equal(2000.0 / 9936, sf.GetProperty("tissue_hires_scalef").GetDouble(), 9);
        Assert.Equal(600.0 / 9936, sf.GetProperty("tissue_lowres_scalef").GetDouble(), 9);
        Assert.Equal(100 / mpp, sf.GetProperty("spot_diameter_fullres").GetDouble(), 6);
        Assert.True(r.GetProperty("spots_inside_hires").GetBoolean(), "a spot falls outside the hires image once scaled");

        // Clipped at 0: X, mean and every interval bound; the unclipped X kept as layer raw (--keep-raw).
        Assert.True(r.GetProperty("clipped_at_zero").GetBoolean());
        Assert.Contains("clipped at 0", r.GetProperty("clipping").GetString());
        Assert.Contains("raw", layers);
        Assert.True(r.GetProperty("min_x").GetDouble() >= 0, "X has a negative prediction");
        Assert.True(r.GetProperty("min_lower").GetDouble() >= 0, "a lower bound is negative");
        Assert.True(r.GetProperty("min_upper").GetDouble() >= 0, "an upper bound is negative");
        Assert.True(r.GetProperty("x_is_clipped_raw").GetBoolean(), "X is not max(raw, 0)");

        // --with-features: the model's input features (the 54 morphology features) per spot, with their names.
        var obsm = r.GetProperty("obsm");
        Assert.Equal([180, 54], obsm.GetProperty("X_morphology").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([180, 2], obsm.GetProperty("spatial").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(54, r.GetProperty("feature_names").GetInt32());

        // The CSV holds the same clipped numbers, and the unclipped ones as GENE_raw.
        string csv = folder.File("p.csv");
        var predictCsv = CliTests.Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", csv,
            "--draws", "6", "--steps", "3", "--sample-seed", "5", "--keep-raw");
        Assert.True(predictCsv.Code == 0, predictCsv.Err);
        var lines = File.ReadAllLines(csv);
        var header = lines[0].Split(',');
        var genes = header.Skip(3).Take(10).ToArray();
        int negativeRaw = 0;
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            foreach (var (gene, g) in genes.Select((gene, g) => (gene, g)))
            {
                float value = float.Parse(cells[3 + g], System.Globalization.CultureInfo.InvariantCulture);
                float raw = float.Parse(cells[Array.IndexOf(header, gene + "_raw")], System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(value >= 0, $"{gene} = {value} in the CSV");
                Assert.Equal(Math.Max(raw, 0), value);
                foreach (string suffix in new[] { "_lower80", "_lower90", "_upper80", "_upper90" })
                    Assert.True(float.Parse(cells[Array.IndexOf(header, gene + suffix)], System.Globalization.CultureInfo.InvariantCulture) >= 0, $"{gene}{suffix} < 0");
                if (raw < 0) negativeRaw++;
            }
        }
        // The same draws as the .h5ad: negative raw predictions in one format are negative in the other.
        Assert.Equal(r.GetProperty("raw_has_negatives").GetBoolean(), negativeRaw > 0);

        // Without --with-features there is no feature obsm; --with-features needs an .h5ad.
        var plain = CliTests.Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("plain.csv"),
            "--draws", "2", "--steps", "3", "--with-features");
        Assert.Equal(2, plain.Code);
        Assert.Contains("--with-features", plain.Err);
    }
}
