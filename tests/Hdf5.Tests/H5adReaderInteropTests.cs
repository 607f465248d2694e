using MlNetStem.AnnData;

namespace MlNetStem.Hdf5.Tests;

/// <summary>Files written by the real anndata 0.8 are read back with identical values.</summary>
public class H5adReaderInteropTests : IClassFixture<AnnDataFixtures>
{
    private readonly AnnDataFixtures _fx;

    public H5adReaderInteropTests(AnnDataFixtures fx) => _fx = fx;

    private static void AssertMatrix(double[,] expected, float[,] actual)
    {
        Assert.Equal(expected.GetLength(0), actual.GetLength(0));
        Assert.Equal(expected.GetLength(1), actual.GetLength(1));
        for (int i = 0; i < expected.GetLength(0); i++)
            for (int j = 0; j < expected.GetLength(1); j++)
                Assert.True((float)expected[i, j] == actual[i, j], $"[{i},{j}]: expected {expected[i, j]}, got {actual[i, j]}");
    }

    [Theory]
    [InlineData("dense.h5ad", MatrixLayout.Dense)]
    [InlineData("csr.h5ad", MatrixLayout.Csr)]
    [InlineData("csc.h5ad", MatrixLayout.Csc)]
    [InlineData("csr_gzip.h5ad", MatrixLayout.Csr)]
    public void ReadX_EachLayout_MatchesAnnDataValues(string fixture, MatrixLayout layout)
    {
        using var reader = H5adReader.Open(_fx.File(fixture));
        Assert.Equal(layout, reader.XLayout);
        Assert.Equal(_fx.Strings("obs_names"), reader.ObsNames);
        Assert.Equal(_fx.Strings("var_names"), reader.VarNames);
        AnnMatrix x = reader.ReadX();
        Assert.Equal(layout, x.Layout);
        AssertMatrix(_fx.Matrix("X"), x.ToDense());
    }

    [Theory]
    [InlineData("dense.h5ad")]
    [InlineData("csr.h5ad")]
    [InlineData("csc.h5ad")]
    public void ReadColumns_GeneSubsetAndCells_MatchesDenseSelection(string fixture)
    {
        using var reader = H5adReader.Open(_fx.File(fixture));
        double[,] x = _fx.Matrix("X");
        string[] genes = ["MKI67", "ERBB2", "Gène-α", "ERBB2"];
        int[] geneAt = [3, 0, 2, 0];

        float[,] all = reader.ReadColumns(genes);
        Assert.Equal(reader.ObsCount, all.GetLength(0));
        for (int i = 0; i < reader.ObsCount; i++)
            for (int k = 0; k < genes.Length; k++) Assert.Equal((float)x[i, geneAt[k]], all[i, k]);

        int[] cells = [5, 1, 5, 0];
        float[,] some = reader.ReadColumns(genes, cells);
        Assert.Equal(cells.Length, some.GetLength(0));
        for (int i = 0; i < cells.Length; i++)
            for (int k = 0; k < genes.Length; k++) Assert.Equal((float)x[cells[i], geneAt[k]], some[i, k]);

        float[,] layer = reader.ReadColumns(["ACTB"], layer: "counts");
        double[,] counts = _fx.Matrix("counts");
        for (int i = 0; i < reader.ObsCount; i++) Assert.Equal((float)counts[i, 4], layer[i, 0]);
    }

    [Fact]
    public void ReadColumns_UnknownGenes_ListsThem()
    {
        using var reader = H5adReader.Open(_fx.File("csr.h5ad"));
        var ex = Assert.Throws<KeyNotFoundException>(() => reader.ReadColumns(["ERBB2", "NOPE1", "NOPE2"]));
        Assert.Contains("NOPE1", ex.Message);
        Assert.Contains("NOPE2", ex.Message);
        Assert.DoesNotContain("ERBB2", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadColumns(["ERBB2"], [reader.ObsCount]));
    }

    [Fact]
    public void ReadObsAndVar_AllColumnKinds_MatchPandas()
    {
        using var reader = H5adReader.Open(_fx.File("csr.h5ad"));
        AnnDataFrame obs = reader.ReadObs();
        Assert.Equal(new[] { "region", "grade", "in_tissue", "n_counts", "score", "barcode", "n_genes", "qc_pass" }, obs.Columns.Select(c => c.Name));

        var region = Assert.IsType<CategoricalColumn>(obs["region"]);
        Assert.Equal(_fx.Strings("region_categories"), region.Categories);
        Assert.Equal(_fx.NullableStrings("region"), Enumerable.Range(0, obs.RowCount).Select(region.ValueAt));
        Assert.Equal(-1, region.Codes[2]);
        Assert.False(region.Ordered);

        var grade = Assert.IsType<CategoricalColumn>(obs["grade"]);
        Assert.True(grade.Ordered);
        Assert.Equal(_fx.Strings("grade_categories"), grade.Categories);
        Assert.Equal(_fx.Strings("grade"), Enumerable.Range(0, obs.RowCount).Select(grade.ValueAt));

        Assert.Equal(_fx.Bools("in_tissue"), Assert.IsType<BooleanColumn>(obs["in_tissue"]).Values);
        var nCounts = Assert.IsType<NumericColumn>(obs["n_counts"]);
        Assert.True(nCounts.IsInteger);
        Assert.Equal(_fx.Doubles("n_counts"), nCounts.Values);
        var score = Assert.IsType<NumericColumn>(obs["score"]);
        Assert.False(score.IsInteger);
        Assert.Equal(_fx.Doubles("score"), score.Values);   // NaN compares equal in xunit
        Assert.Equal(_fx.Strings("barcode"), Assert.IsType<StringColumn>(obs["barcode"]).Values);
        var nGenes = Assert.IsType<NumericColumn>(obs["n_genes"]);   // pandas Int64 with NA
        Assert.True(nGenes.IsInteger);
        Assert.Equal(_fx.Doubles("n_genes"), nGenes.Values);
        Assert.Equal(_fx.Doubles("qc_pass"), Assert.IsType<NumericColumn>(obs["qc_pass"]).Values);   // pandas boolean with NA -> 1/0/NaN

        AnnDataFrame var = reader.ReadVar();
        Assert.Equal(_fx.Strings("gene_ids"), Assert.IsType<StringColumn>(var["gene_ids"]).Values);
        Assert.Equal(_fx.Bools("highly_variable"), Assert.IsType<BooleanColumn>(var["highly_variable"]).Values);
    }

    [Fact]
    public void ReadObsm_Spatial_IsNByTwoDoubles()
    {
        using var reader = H5adReader.Open(_fx.File("dense.h5ad"));
        Assert.Contains("spatial", reader.ObsmKeys);
        double[,] xy = reader.ReadObsm("spatial");
        Assert.Equal(_fx.Matrix("spatial"), xy);
        Assert.Throws<AnnDataFormatException>(() => reader.ReadObsm("umap"));
    }

    [Fact]
    public void Read_WholeFile_HasLayersAndNestedUns()
    {
        AnnDataFile data = H5adReader.ReadFile(_fx.File("csc.h5ad"));
        Assert.Empty(data.Warnings);
        Assert.Equal(MatrixLayout.Csc, data.X!.Layout);
        var counts = data.Layers["counts"];
        Assert.Equal(MatrixLayout.Csr, counts.Layout);
        AssertMatrix(_fx.Matrix("counts"), counts.ToDense());
        Assert.Equal("C2", data.Uns["sample"]);
        Assert.Equal(3L, data.Uns["version"]);
        Assert.Equal(0.25, data.Uns["scale"]);
        Assert.Equal(new[] { "ERBB2", "ACTB" }, data.Uns["genes_used"]);
        var spatial = Assert.IsType<Dictionary<string, object>>(data.Uns["spatial"]);
        var c2 = Assert.IsType<Dictionary<string, object>>(spatial["C2"]);
        var scale = Assert.IsType<Dictionary<string, object>>(c2["scalefactors"]);
        Assert.Equal(89.5, scale["spot_diameter_fullres"]);
        var ids = Assert.IsType<NumericArray>(c2["ids"]);
        Assert.True(ids.IsInteger);
        Assert.Equal(new[] { 1.0, 2, 3 }, ids.Data);
        Assert.Equal(_fx.Matrix("spatial"), data.Obsm["spatial"]);
    }

    [Fact]
    public void Open_FixedLengthStrings_ReadLikeVariableLength()
    {
        using var reader = H5adReader.Open(_fx.File("fixed_strings.h5ad"));
        Assert.Equal(_fx.Strings("var_names"), reader.VarNames);
        Assert.Equal(_fx.Strings("gene_ids"), Assert.IsType<StringColumn>(reader.ReadVar()["gene_ids"]).Values);
        using var file = Hdf5File.Open(_fx.File("fixed_strings.h5ad"));
        using var ds = file.OpenDataset("var/_index");
        Assert.Equal(Hdf5ElementType.FixedString, ds.ElementType);
    }

    [Fact]
    public void Read_NoColumnsAndObsmDataFrame_ReadsRestAndWarns()
    {
        AnnDataFile data = H5adReader.ReadFile(_fx.File("bare.h5ad"));
        Assert.Empty(data.Obs.Columns);
        Assert.Equal(new[] { "0", "1", "2" }, data.Obs.Index);
        Assert.Equal(1f, data.X![2, 2]);
        Assert.False(data.Obsm.ContainsKey("meta"));
        Assert.Contains(data.Warnings, w => w.Contains("obsm 'meta'") && w.Contains("dataframe"));
    }

    [Fact]
    public void Open_NoX_ReadXSaysSo()
    {
        using var reader = H5adReader.Open(_fx.File("no_x.h5ad"));
        Assert.Null(reader.XLayout);
        var ex = Assert.Throws<AnnDataFormatException>(() => reader.ReadX());
        Assert.Contains("no X", ex.Message);
        Assert.Throws<AnnDataFormatException>(() => reader.ReadColumns(["ERBB2"]));
        Assert.Null(reader.Read().X);
    }

    [Fact]
    public void Open_ObsShorterThanX_ReportsBothShapes()
    {
        var ex = Assert.Throws<AnnDataFormatException>(() => H5adReader.Open(_fx.File("shape_mismatch.h5ad")));
        Assert.Contains("7 x 5", ex.Message);
        Assert.Contains("6", ex.Message);
    }

    [Fact]
    public void Open_UnsupportedXEncoding_NamesIt()
    {
        var ex = Assert.Throws<AnnDataFormatException>(() => H5adReader.Open(_fx.File("bad_encoding.h5ad")));
        Assert.Contains("awkward-array", ex.Message);
        Assert.Equal("/X", ex.ElementPath);
    }

    [Fact]
    public void Open_TruncatedOrNotHdf5_ThrowsFormatException()
    {
        using var dir = new TempDirectory();
        byte[] bytes = File.ReadAllBytes(_fx.File("dense.h5ad"));
        string cut = dir.File("cut.h5ad");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 3)]);
        var truncated = Assert.Throws<AnnDataFormatException>(() => { using var r = H5adReader.Open(cut); r.Read(); });
        Assert.Contains("cut.h5ad", truncated.Message);
        string text = dir.File("text.h5ad");
        File.WriteAllText(text, "barcode,x,y\n");
        var notHdf5 = Assert.Throws<AnnDataFormatException>(() => H5adReader.Open(text));
        Assert.Contains("not an HDF5 file", notHdf5.Message);
        Assert.Throws<FileNotFoundException>(() => H5adReader.Open(dir.File("missing.h5ad")));
    }
}
