using System.Text.Json;
using MlNetStem.AnnData;

namespace MlNetStem.Hdf5.Tests;

/// <summary>Files written by H5adWriter open in the real anndata with the same shapes, names and values.</summary>
public class H5adWriterInteropTests
{
    private static readonly string[] Genes = ["ERBB2", "ESR1", "Gène-α", "ACTB"];
    private static readonly string?[] Regions = ["tumor", null, "stroma", "tumor", "immune"];

    private static AnnDataFile MakePredictions(bool sparse)
    {
        int n = 5, m = Genes.Length;
        var x = new float[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) x[i, j] = (i + j) % 3 == 0 ? 0 : i * 1.5f + j * 0.25f;
        var obs = new AnnDataFrame(Enumerable.Range(0, n).Select(i => $"spot_{i}"));
        obs.Add(CategoricalColumn.FromValues("region", Regions))
            .Add(new CategoricalColumn("grade", ["low", "high"], [0, 1, 1, 0, -1], ordered: true))
            .Add(new BooleanColumn("in_tissue", [true, false, true, true, false]))
            .Add(new NumericColumn("n_counts", [0, 10, 20, 30, 40], isInteger: true))
            .Add(new NumericColumn("score", [0.5, double.NaN, -1, 2.25, 1e-3]))
            .Add(new StringColumn("barcode", ["A-1", "B-1", "C-1", "Ä-1", "E-1"]))
            .Add(new NumericColumn("n_genes", [3, double.NaN, 5, 6, double.NaN], isInteger: true));
        var var = new AnnDataFrame(Genes);
        var.Add(new StringColumn("gene_ids", ["E1", "E2", "E3", "E4"]));
        var data = new AnnDataFile(sparse ? SparseMatrix.FromDense(x) : new DenseMatrix(x), obs, var);
        data.Obsm["spatial"] = new double[,] { { 10, 20 }, { 11.5, 21 }, { 12, -22 }, { 13, 23 }, { 1e5, 24.125 } };
        data.Layers["counts"] = SparseMatrix.FromDense(x, MatrixLayout.Csc);
        data.Uns["model"] = "stem-small";
        data.Uns["draws"] = 20;
        data.Uns["lr"] = 1e-4;
        data.Uns["ema"] = true;
        data.Uns["genes"] = Genes.ToArray();
        data.Uns["pearson"] = new[] { 0.1, 0.2, -0.3, 0.4 };
        data.Uns["spatial"] = new Dictionary<string, object>
        {
            ["C2"] = new Dictionary<string, object> { ["scalefactors"] = new Dictionary<string, object> { ["spot_diameter_fullres"] = 89.5 } },
        };
        return data;
    }

    private static string ExpectedJson(AnnDataFile d, bool sparse)
    {
        float[,] x = d.X!.ToDense();
        var expected = new Dictionary<string, object?>
        {
            ["shape"] = new[] { d.ObsCount, d.VarCount },
            ["obs_names"] = d.Obs.Index,
            ["var_names"] = d.Var.Index,
            ["x_sparse"] = sparse,
            ["X"] = Rows(x),
            ["counts"] = Rows(d.Layers["counts"].ToDense()),
            ["obs_columns"] = d.Obs.Columns.Select(c => c.Name),
            ["region"] = Regions,
            ["region_categories"] = ((CategoricalColumn)d.Obs["region"]).Categories,
            ["in_tissue"] = ((BooleanColumn)d.Obs["in_tissue"]).Values,
            ["n_counts"] = ((NumericColumn)d.Obs["n_counts"]).Values.Select(v => (long)v),
            ["score"] = ((NumericColumn)d.Obs["score"]).Values.Select(v => double.IsNaN(v) ? (double?)null : v),
            ["barcode"] = ((StringColumn)d.Obs["barcode"]).Values,
            ["n_genes"] = ((NumericColumn)d.Obs["n_genes"]).Values.Select(v => double.IsNaN(v) ? (long?)null : (long)v),
            ["gene_ids"] = ((StringColumn)d.Var["gene_ids"]).Values,
            ["spatial"] = Rows(d.Obsm["spatial"]),
            ["pearson"] = (double[])d.Uns["pearson"],
        };
        return JsonSerializer.Serialize(expected);
    }

    private static List<T[]> Rows<T>(T[,] m) =>
        Enumerable.Range(0, m.GetLength(0)).Select(i => Enumerable.Range(0, m.GetLength(1)).Select(j => m[i, j]).ToArray()).ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_DenseOrCsr_OpensInAnnDataWithSameValues(bool sparse)
    {
        PythonAnnData.Require();
        using var dir = new TempDirectory();
        AnnDataFile data = MakePredictions(sparse);
        string path = dir.File("pred.h5ad");
        H5adWriter.Write(data, path, new H5adWriteOptions(CompressionLevel: sparse ? 4 : 0));
        File.WriteAllText(dir.File("expected.json"), ExpectedJson(data, sparse));

        (int code, string output) = PythonAnnData.Run("check_written.py", path, dir.File("expected.json"));

        Assert.True(code == 0, $"anndata check failed (exit {code}):\n{output}");
        Assert.Contains("OK (5, 4)", output);
    }

    [Fact]
    public void Write_MinimalWithoutXOrColumns_OpensInAnnData()
    {
        PythonAnnData.Require();
        using var dir = new TempDirectory();
        string path = dir.File("min.h5ad");
        H5adWriter.Write(new AnnDataFile(null, new AnnDataFrame(["s1", "s2", "s3"]), new AnnDataFrame(["G1", "G2"])), path);

        (int code, string output) = PythonAnnData.RunCode(
            "import sys, anndata as ad; a = ad.read_h5ad(sys.argv[1]); " +
            "print('X', a.X is None, a.shape, list(a.obs_names), list(a.var_names), len(a.obs.columns), len(a.uns))",
            path);

        Assert.True(code == 0, $"anndata could not read the file (exit {code}):\n{output}");
        Assert.Contains("X True (3, 2) ['s1', 's2', 's3'] ['G1', 'G2'] 0 0", output);
    }

    [Fact]
    public void Write_ThenRead_RoundTripsEverything()
    {
        using var dir = new TempDirectory();
        AnnDataFile data = MakePredictions(sparse: true);
        string path = dir.File("rt.h5ad");
        H5adWriter.Write(data, path);
        AnnDataFile back = H5adReader.ReadFile(path);
        Assert.Empty(back.Warnings);
        Assert.Equal(data.X!.ToDense(), back.X!.ToDense());
        Assert.Equal(MatrixLayout.Csr, back.X.Layout);
        Assert.Equal(data.Layers["counts"].ToDense(), back.Layers["counts"].ToDense());
        Assert.Equal(MatrixLayout.Csc, back.Layers["counts"].Layout);
        Assert.Equal(data.Obs.Index, back.Obs.Index);
        Assert.Equal(data.Obs.Columns.Select(c => c.Name), back.Obs.Columns.Select(c => c.Name));
        for (int i = 0; i < data.ObsCount; i++)
            foreach (AnnColumn c in data.Obs.Columns)
                Assert.Equal(c.FormatValue(i), back.Obs[c.Name].FormatValue(i));
        Assert.True(((CategoricalColumn)back.Obs["grade"]).Ordered);
        Assert.Equal(data.Obsm["spatial"], back.Obsm["spatial"]);
        Assert.Equal(20L, back.Uns["draws"]);
        Assert.Equal(true, back.Uns["ema"]);
        Assert.Equal(new[] { 0.1, 0.2, -0.3, 0.4 }, ((NumericArray)back.Uns["pearson"]).Data);
        var sf = (Dictionary<string, object>)((Dictionary<string, object>)((Dictionary<string, object>)back.Uns["spatial"])["C2"])["scalefactors"];
        Assert.Equal(89.5, sf["spot_diameter_fullres"]);
    }

    [Fact]
    public void UInt8Image_InUns_RoundTripsAsBytes_AndAnnDataReadsAUint8ArrayOfItsShape()
    {
        PythonAnnData.Require();
        using var dir = new TempDirectory();
        var pixels = Enumerable.Range(0, 4 * 5 * 3).Select(i => (byte)(i * 37 % 256)).ToArray();
        var data = new AnnDataFile(null, new AnnDataFrame(["s1", "s2"]), new AnnDataFrame(Array.Empty<string>()));
        data.Uns["spatial"] = new Dictionary<string, object>
        {
            ["lib"] = new Dictionary<string, object> { ["images"] = new Dictionary<string, object> { ["hires"] = new UInt8Array([4, 5, 3], pixels) } },
        };
        string path = dir.File("img.h5ad");
        H5adWriter.Write(data, path);

        var back = H5adReader.ReadFile(path);
        var images = (Dictionary<string, object>)((Dictionary<string, object>)((Dictionary<string, object>)back.Uns["spatial"])["lib"])["images"];
        var image = Assert.IsType<UInt8Array>(images["hires"]);
        Assert.Equal(new long[] { 4, 5, 3 }, image.Shape);
        Assert.Equal(pixels, image.Data);
        var (code, output) = PythonAnnData.RunCode(
            "import sys, anndata as ad; a = ad.read_h5ad(sys.argv[1]); i = a.uns['spatial']['lib']['images']['hires']; " +
            "print('img', i.dtype, i.shape, int(i[3, 4, 2]), int(i[0, 1, 0]))", path);
        Assert.True(code == 0, output);
        // Row-major [h, w, c]: element (3, 4, 2) is value 59 of the flat array, (0, 1, 0) is value 3.
        Assert.Contains($"img uint8 (4, 5, 3) {pixels[(3 * 5 + 4) * 3 + 2]} {pixels[3]}", output);
    }

    [Fact]
    public void Write_OverExistingFile_ReplacesItAtomicallyWithoutTempLeftovers()
    {
        using var dir = new TempDirectory();
        string path = dir.File("p.h5ad");
        File.WriteAllText(path, "old content");
        H5adWriter.Write(MakePredictions(sparse: false), path);
        Assert.Equal(new[] { "p.h5ad" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        using var reader = H5adReader.Open(path);
        Assert.Equal(5, reader.ObsCount);

        // A failing write leaves the previous file intact and no temporary file behind.
        AnnDataFile bad = MakePredictions(sparse: false);
        bad.Uns["oops"] = new object();
        Assert.Throws<AnnDataFormatException>(() => H5adWriter.Write(bad, path));
        Assert.Equal(new[] { "p.h5ad" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_DuplicatedVarNames_ReportsWhich()
    {
        using var dir = new TempDirectory();
        var obs = new AnnDataFrame(["a", "b"]);
        var var = new AnnDataFrame(["G1", "G2", "G1", "G3", "G2"]);
        var data = new AnnDataFile(new DenseMatrix(2, 5, new float[10]), obs, var);
        var ex = Assert.Throws<AnnDataFormatException>(() => H5adWriter.Write(data, dir.File("d.h5ad")));
        Assert.Contains("G1", ex.Message);
        Assert.Contains("G2", ex.Message);
        Assert.DoesNotContain("G3", ex.Message);
        Assert.False(File.Exists(dir.File("d.h5ad")));
    }

    [Fact]
    public void Model_ShapeMismatches_AreRejectedWithBothShapes()
    {
        var obs = new AnnDataFrame(["a", "b", "c"]);
        var var = new AnnDataFrame(["G1", "G2"]);
        var ex = Assert.Throws<AnnDataFormatException>(() => new AnnDataFile(new DenseMatrix(2, 2, new float[4]), obs, var));
        Assert.Contains("2 x 2", ex.Message);
        Assert.Contains("3 rows", ex.Message);

        var data = new AnnDataFile(new DenseMatrix(3, 2, new float[6]), obs, var);
        data.Obsm["spatial"] = new double[2, 2];
        using var dir = new TempDirectory();
        var obsm = Assert.Throws<AnnDataFormatException>(() => H5adWriter.Write(data, dir.File("x.h5ad")));
        Assert.Contains("spatial", obsm.Message);

        Assert.Throws<ArgumentException>(() => obs.Add(new NumericColumn("short", [1, 2])));
        Assert.Throws<ArgumentException>(() => new SparseMatrix(MatrixLayout.Csr, 2, 2, [1f], [5], [0, 1, 1]));
        Assert.Throws<ArgumentException>(() => new CategoricalColumn("c", ["a"], [0, 1]));
    }
}
