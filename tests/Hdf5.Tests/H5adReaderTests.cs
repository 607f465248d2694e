using MlNetStem.AnnData;

namespace MlNetStem.Hdf5.Tests;

/// <summary>Reader behaviour on generated files (written by our writer; interop is covered elsewhere).</summary>
public class H5adReaderTests
{
    private static float[,] Generate(int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        var m = new float[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) m[i, j] = rng.NextDouble() < 0.3 ? (float)Math.Round(rng.NextDouble() * 10, 2) : 0f;
        return m;
    }

    [Theory]
    [InlineData(MatrixLayout.Dense)]
    [InlineData(MatrixLayout.Csr)]
    [InlineData(MatrixLayout.Csc)]
    public void ReadColumns_ScatteredCellsAndGenes_MatchInMemorySelection(MatrixLayout layout)
    {
        using var dir = new TempDirectory();
        float[,] x = Generate(60, 40, seed: 3);
        AnnMatrix matrix = layout == MatrixLayout.Dense ? new DenseMatrix(x) : SparseMatrix.FromDense(x, layout);
        var data = new AnnDataFile(matrix,
            new AnnDataFrame(Enumerable.Range(0, 60).Select(i => $"c{i}")),
            new AnnDataFrame(Enumerable.Range(0, 40).Select(j => $"g{j}")));
        string path = dir.File("m.h5ad");
        H5adWriter.Write(data, path, new H5adWriteOptions(CompressionLevel: 1));

        using var reader = H5adReader.Open(path);
        Assert.Equal(layout, reader.XLayout);
        int[] genes = [39, 0, 17, 17, 5];
        int[] cells = [59, 0, 1, 2, 30, 31, 45, 2, 12];   // runs, gaps > 4, repeats, unsorted
        float[,] got = reader.ReadColumnsAt(genes, cells);
        for (int i = 0; i < cells.Length; i++)
            for (int k = 0; k < genes.Length; k++) Assert.Equal(x[cells[i], genes[k]], got[i, k]);
        float[,] all = reader.ReadColumns(genes.Select(g => $"g{g}").ToArray());
        for (int i = 0; i < 60; i++)
            for (int k = 0; k < genes.Length; k++) Assert.Equal(x[i, genes[k]], all[i, k]);
        Assert.Equal(new float[0, 2], reader.ReadColumnsAt([1, 2], []));
    }

    [Fact]
    public void IndexOfVar_DuplicatedName_RefusesAmbiguousLookup()
    {
        using var dir = new TempDirectory();
        string path = dir.File("dup.h5ad");
        // The writer refuses duplicates, so make the file with the HDF5 layer directly.
        H5adWriter.Write(new AnnDataFile(new DenseMatrix(1, 3, [1, 2, 3]), new AnnDataFrame(["c"]), new AnnDataFrame(["A", "B", "C"])), path);
        // Point var's index at a second, duplicated name list.
        using (var f = Hdf5File.Open(path, readOnly: false))
        using (var var = f.OpenGroup("var"))
        {
            var.WriteStrings("names2", ["A", "B", "A"]).Dispose();
            var.WriteAttribute("_index", "names2");
        }
        using var reader = H5adReader.Open(path);
        Assert.Equal(new[] { "A", "B", "A" }, reader.VarNames);
        var ex = Assert.Throws<AnnDataFormatException>(() => reader.ReadColumns(["A"]));
        Assert.Contains("'A' occurs more than once", ex.Message);
        Assert.Equal(new float[,] { { 2 } }, reader.ReadColumns(["B"]));
        Assert.Contains(reader.Read().Warnings, w => w.Contains("Duplicated var names: A"));
    }
}
