using System.Globalization;
using System.Text.Json;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// <c>mlnetstem featurize</c> through the real CLI, its .h5ad read by the real anndata: obsm['X_&lt;featurizer&gt;'] equal to
/// what a model of the same settings reads, X = the observed log2(x+1) counts (or spots × 0 without counts), and
/// scanpy's uns['spatial'].
/// </summary>
[Collection(Hdf5FileTests.Name)]
public class FeaturizeCliTests
{
    private static readonly string C2 = RepositoryPaths.Her2st("C2"), C3 = RepositoryPaths.Her2st("C3");

    // Reads every key the command writes; with a counts file, compares X with log2(counts + 1) of every spot and gene.
    private const string Reader = """
        import json, sys
        import anndata, numpy as np, pandas as pd
        a = anndata.read_h5ad(sys.argv[1])
        u = a.uns["mlnetstem"]
        out = {
            "n_obs": int(a.n_obs), "n_vars": int(a.n_vars), "obs_names": list(a.obs_names), "obs_columns": list(a.obs.columns),
            "obsm": {k: list(v.shape) for k, v in a.obsm.items()},
            "x_sparse": type(a.X).__name__,
            "mlnetstem": sorted(u.keys()), "featurizer": str(u["featurizer"]), "patch_px": int(u["patch_px"]),
            "mpp": float(u["microns_per_pixel"]), "normalization": str(u["normalization"]),
            "spatial": {lib: {"images": {k: [list(v.shape), str(v.dtype)] for k, v in d["images"].items()},
                              "scalefactors": sorted(d["scalefactors"].keys())} for lib, d in a.uns["spatial"].items()},
        }
        for k, v in a.obsm.items():
            if k.startswith("X_"): out["first_" + k] = [float(x) for x in np.asarray(v)[0]]
        if "X_morphology_views" in a.obsm:
            out["view0_is_obsm"] = bool(np.array_equal(a.obsm["X_morphology_views"][:, :54], a.obsm["X_morphology"]))
        if len(sys.argv) > 2:
            counts = pd.read_csv(sys.argv[2], sep="\t", index_col=0)
            expected = np.log2(counts.loc[a.obs_names, a.var_names].to_numpy(dtype=np.float64) + 1)
            out["x_matches_counts"] = bool(np.allclose(a.X.toarray(), expected, atol=1e-5))
            out["x_nonzero"] = int(a.X.nnz)
        print(json.dumps(out))
        """;

    private static JsonElement Read(string h5ad, params string[] more)
    {
        var (code, stdout, stderr) = ChildProcess.Run("/usr/bin/python3", ["-c", Reader, h5ad, .. more]);
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement;
    }

    [Fact]
    public void Featurize_Morphology_WritesTheModelsFeatures_ObservedCounts_AndSpatial_ThatAnnDataReads()
    {
        using var folder = new TempFolder();
        string output = folder.File("features.h5ad"), model = folder.File("m.zip"), csv = folder.File("features.csv");
        var run = CliTests.Run("featurize", "--input", C3, "--output", output, "--patch-px", "32");
        Assert.True(run.Code == 0, run.Err);
        Assert.Matches(@"featurized 180 spots in [\d.]+ s: [\d.]+ spots/s \(morphology, 32 px patches of 112 µm\)", run.Out);

        var r = Read(output, Path.Combine(C3, "counts.tsv.gz"));
        Assert.Equal(180, r.GetProperty("n_obs").GetInt32());
        Assert.Equal(["array_row", "array_col"], r.GetProperty("obs_columns").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([180, 54], r.GetProperty("obsm").GetProperty("X_morphology").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([180, 2], r.GetProperty("obsm").GetProperty("spatial").EnumerateArray().Select(e => e.GetInt32()));
        // X: every gene of the section, log2(x+1) of its counts, sparse.
        Assert.Equal("csr_matrix", r.GetProperty("x_sparse").GetString());
        Assert.True(r.GetProperty("n_vars").GetInt32() > 10000);
        Assert.True(r.GetProperty("x_matches_counts").GetBoolean(), "X is not log2(counts + 1)");
        Assert.True(r.GetProperty("x_nonzero").GetInt32() > 1000);
        Assert.Equal("morphology", r.GetProperty("featurizer").GetString());
        Assert.Equal(32, r.GetProperty("patch_px").GetInt32());
        Assert.InRange(r.GetProperty("mpp").GetDouble(), 0.6, 0.8);
        var library = r.GetProperty("spatial").GetProperty("C3");
        Assert.Equal("uint8", library.GetProperty("images").GetProperty("hires")[1].GetString());
        Assert.Equal([2000, 1866, 3], library.GetProperty("images").GetProperty("hires")[0].EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(["spot_diameter_fullres", "tissue_hires_scalef", "tissue_lowres_scalef"],
            library.GetProperty("scalefactors").EnumerateArray().Select(e => e.GetString()));

        // The same features a model trained with the same patch settings reads (the featurization path is shared).
        Assert.True(CliTests.Run("train", "--input", C2, "--model", model, "--genes", "10", "--patch-px", "32").Code == 0);
        var predict = CliTests.Run("predict", "--input", C3, "--model", model, "--output", folder.File("p.csv"), "--features-output", csv);
        Assert.True(predict.Code == 0, predict.Err);
        var rows = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0], f => f[1..].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());
        string first = r.GetProperty("obs_names")[0].GetString()!;
        var fromH5ad = r.GetProperty("first_X_morphology").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(rows[first].Length, fromH5ad.Length);
        for (int j = 0; j < fromH5ad.Length; j++) Assert.Equal(rows[first][j], fromH5ad[j], 6);
    }

    [Fact]
    public void Featurize_SectionWithoutCounts_WritesAnEmptyX_AndDihedralViewsBesideThePatchItself()
    {
        using var folder = new TempFolder();
        string section = folder.File("C3-nocounts");
        Directory.CreateDirectory(section);
        foreach (string file in new[] { "spots.tsv", "he.jpg" }) File.Copy(Path.Combine(C3, file), Path.Combine(section, file));
        string output = folder.File("f.h5ad");
        var run = CliTests.Run("featurize", "--input", section, "--output", output, "--patch-px", "32", "--augment", "dihedral");
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("X empty (no counts)", run.Out);
        var r = Read(output);
        // Without counts no spot is dropped for lacking a count row: the 182 selected spots of C3.
        Assert.Equal(182, r.GetProperty("n_obs").GetInt32());
        Assert.Equal(0, r.GetProperty("n_vars").GetInt32());
        Assert.Equal([182, 54], r.GetProperty("obsm").GetProperty("X_morphology").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([182, 8 * 54], r.GetProperty("obsm").GetProperty("X_morphology_views").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(r.GetProperty("view0_is_obsm").GetBoolean(), "view 0 of X_morphology_views is not X_morphology");
        Assert.StartsWith("X: empty", r.GetProperty("normalization").GetString());
        Assert.Contains("views", r.GetProperty("mlnetstem").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Featurize_OnnxEncoder_NamesTheObsmAfterTheEncoder()
    {
        using var folder = new TempFolder();
        string output = folder.File("f.h5ad");
        var run = CliTests.Run("featurize", "--input", C3, "--output", output, "--featurizer", "onnx",
            "--encoder", Path.Combine(RepositoryPaths.Root, "models", "tiny-vit-s16.onnx"));
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("spots/s (onnx", run.Out);
        var r = Read(output);
        var obsm = r.GetProperty("obsm");
        Assert.False(obsm.TryGetProperty("X_morphology", out _));
        var shape = obsm.GetProperty("X_tiny_vit_s16").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(180, shape[0]);
        Assert.True(shape[1] > 0);
        Assert.Equal("onnx", r.GetProperty("featurizer").GetString());
    }

    [Fact]
    public void Featurize_Misuse_IsAUsageError()
    {
        using var folder = new TempFolder();
        var csv = CliTests.Run("featurize", "--input", C3, "--output", folder.File("f.csv"));
        Assert.Equal(2, csv.Code);
        Assert.Contains("must be .h5ad", csv.Err);
        var unknown = CliTests.Run("featurize", "--input", C3, "--output", folder.File("f.h5ad"), "--featurizer", "sift");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("unknown featurizer 'sift'", unknown.Err);
        var noEncoder = CliTests.Run("featurize", "--input", C3, "--output", folder.File("f.h5ad"), "--featurizer", "onnx");
        Assert.Equal(2, noEncoder.Code);
        Assert.Contains("--encoder", noEncoder.Err);
        Assert.False(File.Exists(folder.File("f.h5ad")));
    }
}
