namespace MlNetStem.Hdf5.Tests;

/// <summary>
/// Disposing a file closes it at once, even while an object of it still waits for its finalizer. HDF5's default (weak)
/// close kept such a file open, and the next open of the same path took a second descriptor whose lock failed
/// ("unable to lock the file, errno = 11") — at random, depending on when the GC ran.
/// </summary>
public class FileCloseTests
{
    [Fact]
    public void DisposedFile_WithAnObjectNotDisposed_ReopensForReadingAndWriting()
    {
        using var dir = new TempDirectory();
        string path = dir.File("leak.h5");
        Hdf5Dataset leaked;
        using (var file = Hdf5File.Create(path))
            leaked = file.WriteDataset<float>("x", [1f, 2f, 3f]);   // not disposed, as a forgetful caller would

        using (var again = Hdf5File.Open(path))
            Assert.Equal([1f, 2f, 3f], again.OpenDataset("x").Read<float>());
        using (var rewrite = Hdf5File.Create(path))
            rewrite.WriteDataset<float>("y", [4f]).Dispose();
        Assert.True(Hdf5File.IsHdf5(path));
        GC.KeepAlive(leaked);
        leaked.Dispose();   // its id died with the file: releasing it again is harmless
    }
}

/// <summary>
/// A child process started while a file is open inherits HDF5's descriptor (HDF5 opens without close-on-exec); with
/// HDF5's file locks on, the lock outlived our close and the next open of the path failed ("errno = 11").
/// </summary>
public class ChildProcessLockTests
{
    [Fact]
    public void FileOpenWhileAChildStarts_ReopensForWritingAfterClose_WhileTheChildStillRuns()
    {
        using var dir = new TempDirectory();
        string path = dir.File("shared.h5");
        System.Diagnostics.Process child;
        using (var file = Hdf5File.Create(path))
        {
            file.WriteDataset<float>("x", [1f]).Dispose();
            child = System.Diagnostics.Process.Start("sleep", "5")!;
        }
        try
        {
            using (var again = Hdf5File.Open(path, readOnly: false))
                again.WriteDataset<float>("y", [2f]).Dispose();
            using var read = Hdf5File.Open(path);
            Assert.Equal([2f], read.OpenDataset("y").Read<float>());
            Assert.False(child.HasExited, "the check must run while the child still holds the inherited descriptor");
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
            child.Dispose();
        }
    }
}
