using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using MlNetStem.Data;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// Issue 10, data readers: truncated or mislabelled gzip tables, a spot table without spots, and a prediction .h5ad written
/// on a full disk. The bad files are made from the bundled section C2.
/// </summary>
[Collection(Hdf5FileTests.Name)]
public class DataReaderReliabilityTests
{
    private static readonly byte[] GzipHeader = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

    /// <summary>C2's spots.tsv and image (linked) with <paramref name="counts"/> as counts.tsv.gz.</summary>
    private static TempFolder C2With(byte[] counts, string? spots = null)
    {
        var folder = new TempFolder();
        string c2 = RepositoryPaths.Her2st("C2");
        File.CreateSymbolicLink(folder.File("he.jpg"), Path.Combine(c2, "he.jpg"));
        if (spots is null) File.Copy(Path.Combine(c2, "spots.tsv"), folder.File("spots.tsv"));
        else File.WriteAllText(folder.File("spots.tsv"), spots);
        File.WriteAllBytes(folder.File("counts.tsv.gz"), counts);
        return folder;
    }

    private static string[] C2CountLines()
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(Path.Combine(RepositoryPaths.Her2st("C2"), "counts.tsv.gz")), CompressionMode.Decompress));
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static byte[] Gzip(string text)
    {
        var memory = new MemoryStream();
        using (var gz = new GZipStream(memory, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(Encoding.UTF8.GetBytes(text));
        return memory.ToArray();
    }

    /// <summary>A gzip member whose deflate data stops cleanly after a sync flush: no final block, no CRC/size trailer.</summary>
    private static byte[] GzipWithoutEnd(string text)
    {
        var memory = new MemoryStream();
        memory.Write(GzipHeader);
        var deflate = new DeflateStream(memory, CompressionLevel.Optimal, leaveOpen: true);
        deflate.Write(Encoding.UTF8.GetBytes(text));
        deflate.Flush();   // Z_SYNC_FLUSH: everything so far is decodable
        byte[] cut = memory.ToArray();
        deflate.Dispose();
        return cut;
    }

    private static string Rows(string[] lines, int count) => string.Join('\n', lines.Take(count + 1)) + "\n";

    [Fact]
    public void Counts_GzipEndingAtRowBoundaryWithoutEndMarker_IsRefusedAsTruncated()
    {
        string[] lines = C2CountLines();
        using var folder = C2With(GzipWithoutEnd(Rows(lines, 100)));
        var error = Assert.Throws<InvalidDataException>(() => Her2stLoader.Load(folder.Path));
        Assert.Equal($"'{folder.File("counts.tsv.gz")}' is truncated (gzip stream ends before its end marker).", error.Message);
    }

    [Fact]
    public void Counts_GzipMissingOnlyItsTrailer_IsRefusedAsTruncated()
    {
        byte[] whole = Gzip(Rows(C2CountLines(), 187));
        using var folder = C2With(whole[..^8]);
        Assert.Contains("is truncated (gzip stream ends before its end marker)",
            Assert.Throws<InvalidDataException>(() => Her2stLoader.Load(folder.Path)).Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    public void Counts_GzipCutAnywhere_IsRefusedNamingTheFile(double fraction)
    {
        byte[] whole = File.ReadAllBytes(Path.Combine(RepositoryPaths.Her2st("C2"), "counts.tsv.gz"));
        using var folder = C2With(whole[..(int)(whole.Length * fraction)]);
        var error = Assert.Throws<InvalidDataException>(() => Her2stLoader.Load(folder.Path));
        Assert.Contains(folder.File("counts.tsv.gz"), error.Message);
    }

    [Fact]
    public void Counts_SeveralGzipMembers_LoadWhole()
    {
        string[] lines = C2CountLines();
        byte[] first = Gzip(Rows(lines, 60));
        byte[] second = Gzip(string.Join('\n', lines.Skip(61)) + "\n");
        using var folder = C2With([.. first, .. second]);
        Assert.Equal(187, Her2stLoader.Load(folder.Path).Data.Rows);
    }

    [Fact]
    public void Counts_PlainTextNamedGz_SaysItIsNotGzip()
    {
        using var folder = C2With(Encoding.UTF8.GetBytes(Rows(C2CountLines(), 5)));
        var error = Assert.Throws<InvalidDataException>(() => Her2stLoader.Load(folder.Path));
        Assert.Equal($"'{folder.File("counts.tsv.gz")}' is not gzip-compressed (no gzip signature).", error.Message);
    }

    [Fact]
    public void Counts_EmptyGz_SaysItIsNotGzip()
    {
        using var folder = C2With([]);
        Assert.Contains("is not gzip-compressed (no gzip signature)", Assert.Throws<InvalidDataException>(() => Her2stLoader.Load(folder.Path)).Message);
    }

    [Fact]
    public void Counts_DamagedDeflateData_IsRefusedNamingTheFile()
    {
        byte[] whole = File.ReadAllBytes(Path.Combine(RepositoryPaths.Her2st("C2"), "counts.tsv.gz"));
        byte[] damaged = (byte[])whole.Clone();
        for (int i = 2000; i < 2400; i++) damaged[i] = 0xff;
        using var folder = C2With(damaged);
        var error = Assert.Throws<InvalidDataException>(() => Her2stLoader.Load(folder.Path));
        Assert.Contains(folder.File("counts.tsv.gz"), error.Message);
    }

    [Fact]
    public void Spots_HeaderOnly_SaysThereAreNoSpots()
    {
        string header = File.ReadLines(Path.Combine(RepositoryPaths.Her2st("C2"), "spots.tsv")).First() + "\n";
        using var folder = C2With(File.ReadAllBytes(Path.Combine(RepositoryPaths.Her2st("C2"), "counts.tsv.gz")), spots: header);
        var error = Assert.Throws<InvalidDataException>(() => Her2stLoader.Load(folder.Path));
        Assert.Equal($"'{folder.File("spots.tsv")}' lists no spots (it has a header but no rows).", error.Message);
    }

    /// <summary>
    /// A prediction .h5ad on a full disk, simulated without root by a file size limit (ulimit -f, SIGXFSZ ignored so writes
    /// fail with EFBIG): exit 1 with one line, no signal, the old file untouched, no temporary file left.
    /// </summary>
    [Fact]
    public void Predict_H5adBeyondFileSizeLimit_ExitsCleanlyAndKeepsTheOldFile()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/bin/bash")) return;
        using var folder = new TempFolder();
        string model = folder.File("m.zip");
        var train = CliTests.Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--genes", "30", "--patch-px", "64");
        Assert.True(train.Code == 0, train.Err);
        string output = folder.File("p.h5ad");
        File.WriteAllText(output, "previous predictions");

        var (code, err) = RunWithFileSizeLimit(8, Path.Combine(AppContext.BaseDirectory, "mlnetstem.dll"), "predict",
            "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", output);

        Assert.True(code == 1, $"exit {code}: {err}");
        string last = err.Trim().Split('\n')[^1];
        Assert.Contains($"Cannot write '{output}': File too large", last);
        Assert.EndsWith($"('{output}' was not changed).", last);
        Assert.Equal("previous predictions", File.ReadAllText(output));
        Assert.Equal([output], Directory.GetFiles(folder.Path).Where(f => f != model));
    }

    /// <summary>Runs dotnet with <paramref name="args"/> under a file size limit of <paramref name="kilobytes"/> KiB, SIGXFSZ ignored.</summary>
    private static (int Code, string Err) RunWithFileSizeLimit(int kilobytes, params string[] args)
    {
        // The runtime's W^X double mapping sizes a memory file with ftruncate, which the limit would refuse.
        var (code, _, err) = ChildProcess.Run("/bin/bash",
            ["-c", $"trap '' XFSZ; ulimit -f {kilobytes}; exec dotnet \"$@\"", "bash", .. args],
            environment: new Dictionary<string, string> { ["DOTNET_EnableWriteXorExecute"] = "0" });
        return (code, err);
    }
}
