using MlNetStem.AnnData;

namespace MlNetStem.Hdf5.Tests;

/// <summary>
/// Damaged CSR/CSC matrices (issue 10): an inconsistent indptr, indices or data must be refused with one
/// <see cref="AnnDataFormatException"/> naming the file and what is wrong, by every read path, before any big allocation.
/// </summary>
public class H5adSparseValidationTests
{
    // A valid 3 x 4 CSR matrix: row 0 = {0: 1}, row 1 = {2: 2, 3: 3}, row 2 = {1: 4}.
    private static readonly long[] GoodIndptr = [0, 1, 3, 4];
    private static readonly int[] GoodIndices = [0, 2, 3, 1];
    private static readonly float[] GoodData = [1, 2, 3, 4];

    /// <summary>Writes an .h5ad with obs c0..c{rows-1}, var g0..g{cols-1} and X built from the raw arrays, unchecked.</summary>
    private static string WriteSparse(TempDirectory dir, string encoding, int rows, int cols, long[] indptr, int[] indices, float[] data)
    {
        string path = dir.File("bad.h5ad");
        H5adWriter.Write(new AnnDataFile(null,
            new AnnDataFrame(Enumerable.Range(0, rows).Select(i => $"c{i}")),
            new AnnDataFrame(Enumerable.Range(0, cols).Select(j => $"g{j}"))), path);
        using var file = Hdf5File.Open(path, readOnly: false);
        using Hdf5Group x = file.CreateGroup("X");
        x.WriteAttribute("encoding-type", encoding);
        x.WriteAttribute("encoding-version", "0.1.0");
        x.WriteAttribute<long>("shape", [rows, cols]);
        x.WriteDataset("data", data).Dispose();
        x.WriteDataset("indices", indices).Dispose();
        x.WriteDataset("indptr", indptr).Dispose();
        return path;
    }

    private static void AssertRefusedEverywhere(string path, string fragment)
    {
        var reads = new (string Name, Action Read)[]
        {
            ("ReadX", () => { using var r = H5adReader.Open(path); r.ReadX(); }),
            ("ReadFile", () => H5adReader.ReadFile(path)),
            ("ReadColumnsAt", () => { using var r = H5adReader.Open(path); r.ReadColumnsAt(Enumerable.Range(0, r.VarCount).ToArray()); }),
        };
        foreach (var (name, read) in reads)
        {
            var ex = Assert.Throws<AnnDataFormatException>(read);
            Assert.True(ex.Message.Contains(path, StringComparison.Ordinal), $"{name}: message does not name the file: {ex.Message}");
            Assert.True(ex.Message.Contains(fragment, StringComparison.Ordinal), $"{name}: expected '{fragment}' in: {ex.Message}");
            Assert.DoesNotContain('\n', ex.Message);
        }
    }

    [Fact]
    public void ValidCsr_ReadsBack()
    {
        using var dir = new TempDirectory();
        string path = WriteSparse(dir, "csr_matrix", 3, 4, GoodIndptr, GoodIndices, GoodData);
        using var reader = H5adReader.Open(path);
        float[,] x = reader.ReadX().ToDense();
        Assert.Equal(3f, x[1, 3]);
        Assert.Equal(4f, reader.ReadColumnsAt([1])[2, 0]);
    }

    [Theory]
    [InlineData("too large", new long[] { 0, 1, 3, 9 }, "indptr ends at 9 but data holds 4 values")]
    [InlineData("too short", new long[] { 0, 1, 4 }, "indptr has 3 entries; 3 rows need 4 (one per row + 1)")]
    [InlineData("too long", new long[] { 0, 1, 3, 4, 4 }, "indptr has 5 entries; 3 rows need 4")]
    [InlineData("decreasing", new long[] { 0, 3, 1, 4 }, "indptr decreases at row 1 (3 then 1)")]
    [InlineData("not from 0", new long[] { 1, 1, 3, 4 }, "indptr starts at 1, not 0")]
    [InlineData("negative", new long[] { 0, -5, 3, 4 }, "indptr decreases at row 0 (0 then -5)")]
    public void Csr_BadIndptr_IsRefusedWithReason(string kind, long[] indptr, string fragment)
    {
        _ = kind;
        using var dir = new TempDirectory();
        string path = WriteSparse(dir, "csr_matrix", 3, 4, indptr, GoodIndices, GoodData);
        AssertRefusedEverywhere(path, "CSR matrix '/X' is inconsistent: " + fragment);
    }

    [Fact]
    public void Csr_ColumnIndexOutOfRange_IsRefused()
    {
        using var dir = new TempDirectory();
        string path = WriteSparse(dir, "csr_matrix", 3, 4, GoodIndptr, [0, 2, 7, 1], GoodData);
        AssertRefusedEverywhere(path, "CSR matrix '/X' is inconsistent: column index 7 at entry 2 is outside [0, 4)");
    }

    [Fact]
    public void Csr_DataAndIndicesDifferInLength_IsRefused()
    {
        using var dir = new TempDirectory();
        string path = WriteSparse(dir, "csr_matrix", 3, 4, GoodIndptr, GoodIndices, [1, 2, 3, 4, 5]);
        var ex = Assert.Throws<AnnDataFormatException>(() => H5adReader.Open(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("CSR matrix '/X' is inconsistent: data holds 5 values but indices holds 4", ex.Message);
    }

    [Fact]
    public void Csc_BadIndptrAndRowIndex_AreRefused()
    {
        using var dir = new TempDirectory();
        // CSC of the 3 x 4 matrix has 4 columns: indptr needs 5 entries.
        string shortPath = WriteSparse(dir, "csc_matrix", 3, 4, [0, 1, 2, 4], [0, 2, 1, 1], GoodData);
        Assert.Contains("CSC matrix '/X' is inconsistent: indptr has 4 entries; 4 columns need 5 (one per column + 1)",
            Assert.Throws<AnnDataFormatException>(() => H5adReader.Open(shortPath)).Message);
        File.Delete(shortPath);
        string rowPath = WriteSparse(dir, "csc_matrix", 3, 4, [0, 1, 2, 3, 4], [0, 3, 1, 1], GoodData);
        AssertRefusedEverywhere(rowPath, "CSC matrix '/X' is inconsistent: row index 3 at entry 1 is outside [0, 3)");
        File.Delete(rowPath);
        string decreasing = WriteSparse(dir, "csc_matrix", 3, 4, [0, 2, 1, 3, 4], [0, 3, 1, 1], GoodData);
        AssertRefusedEverywhere(decreasing, "CSC matrix '/X' is inconsistent: indptr decreases at column 1 (2 then 1)");
    }

    [Fact]
    public void Csr_ClaimingTrillionValues_IsRefusedBeforeAllocating()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bomb.h5ad");
        H5adWriter.Write(new AnnDataFile(null, new AnnDataFrame(["c0", "c1"]), new AnnDataFrame(["g0", "g1"])), path);
        const long claimed = 1_000_000_000_000;
        using (var file = Hdf5File.Open(path, readOnly: false))
        using (Hdf5Group x = file.CreateGroup("X"))
        {
            x.WriteAttribute("encoding-type", "csr_matrix");
            x.WriteAttribute("encoding-version", "0.1.0");
            x.WriteAttribute<long>("shape", [2, 2]);
            // Compressed, hence chunked: the claim costs no disk space; reading it whole would need 4 TB.
            x.CreateDataset<float>("data", [claimed], compressionLevel: 1).Dispose();
            x.CreateDataset<int>("indices", [claimed], compressionLevel: 1).Dispose();
            x.WriteDataset("indptr", new long[] { 0, 0, claimed }).Dispose();
        }
        Assert.True(new FileInfo(path).Length < 1 << 20);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var ex = Assert.Throws<AnnDataFormatException>(() => H5adReader.ReadFile(path));
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64 << 20, "the claim was allocated");
        Assert.Contains(path, ex.Message);
        Assert.Contains($"data claims {claimed} stored values, more than can be read into memory", ex.Message);
    }

    [Fact]
    public void Obsm_ClaimingHugeWidth_IsRefusedBeforeAllocating()
    {
        using var dir = new TempDirectory();
        string path = dir.File("obsm.h5ad");
        H5adWriter.Write(new AnnDataFile(new DenseMatrix(2, 1, [1, 2]), new AnnDataFrame(["c0", "c1"]), new AnnDataFrame(["g0"])), path);
        using (var file = Hdf5File.Open(path, readOnly: false))
        using (Hdf5Group obsm = file.OpenGroup("obsm"))
            obsm.CreateDataset<double>("spatial", [2, 500_000_000_000], compressionLevel: 1).Dispose();
        using var reader = H5adReader.Open(path);
        var ex = Assert.Throws<AnnDataFormatException>(() => reader.ReadObsm("spatial"));
        Assert.Contains(path, ex.Message);
        Assert.Contains("claims", ex.Message);
    }
}
