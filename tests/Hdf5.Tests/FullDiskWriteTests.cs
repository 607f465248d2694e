using MlNetStem.AnnData;

namespace MlNetStem.Hdf5.Tests;

/// <summary>
/// Writing on a full disk (issue 10): HDF5 1.10 cannot close a file whose last flush failed (the id outlives the freed file
/// and the library's exit handler crashes with SIGSEGV), so .h5ad files are built in memory and saved with managed I/O.
/// /dev/full (every write fails with ENOSPC) stands in for the full disk; the end-to-end case runs the CLI under a file
/// size limit in Pipeline.Tests.
/// </summary>
public class FullDiskWriteTests
{
    [Fact]
    public void InMemoryFile_WriteImageTo_RoundTripsThroughDisk()
    {
        using var dir = new TempDirectory();
        string path = dir.File("image.h5");
        using (Hdf5File file = Hdf5File.CreateInMemory(path))
        {
            Assert.True(file.IsInMemory);
            file.WriteDataset("values", new[] { 1.5, 2.5 }).Dispose();
            Assert.False(File.Exists(path));
            using var stream = File.Create(path);
            file.WriteImageTo(stream);
        }
        using var back = Hdf5File.Open(path);
        using var ds = back.OpenDataset("values");
        Assert.Equal(new[] { 1.5, 2.5 }, ds.Read<double>());
    }

    [Fact]
    public void InMemoryFile_WriteImageToFullDevice_IsAnIOExceptionAndCloses()
    {
        if (!File.Exists("/dev/full")) return;   // Linux only
        using Hdf5File file = Hdf5File.CreateInMemory("full-device-test.h5");
        file.WriteDataset("values", Enumerable.Range(0, 100_000).Select(i => (float)i).ToArray()).Dispose();
        using (var stream = new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0))
            Assert.ThrowsAny<IOException>(() => file.WriteImageTo(stream));
        // The in-memory file is still healthy and closes without a native failure.
        using var ds = file.OpenDataset("values");
        Assert.Equal(99_999f, ds.ReadRows<float>(99_999, 1)[0]);
    }

    [Fact]
    public void H5adWriter_WritesThroughMemory_AndLeavesNoTempFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("p.h5ad");
        File.WriteAllText(path, "old");
        var data = new AnnDataFile(new DenseMatrix(2, 2, [1, 2, 3, 4]), new AnnDataFrame(["a", "b"]), new AnnDataFrame(["x", "y"]));
        H5adWriter.Write(data, path);
        Assert.Equal([path], Directory.GetFiles(dir.Path));
        Assert.Equal(4f, H5adReader.ReadFile(path).X!.ToDense()[1, 1]);
    }
}
