namespace MlNetStem.Hdf5.Tests;

public class Hdf5ErrorTests
{
    private static string MakeFile(TempDirectory dir)
    {
        string path = dir.File("e.h5");
        using var f = Hdf5File.Create(path);
        f.WriteDataset<double>("m", new double[6], [2, 3]).Dispose();
        f.WriteStrings("s", ["a"]).Dispose();
        return path;
    }

    [Fact]
    public void Open_MissingFile_ThrowsFileNotFound()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<FileNotFoundException>(() => Hdf5File.Open(dir.File("nope.h5")));
        Assert.Contains("nope.h5", ex.Message);
    }

    [Fact]
    public void Open_TextFile_ThrowsNotHdf5()
    {
        using var dir = new TempDirectory();
        string path = dir.File("text.h5");
        File.WriteAllText(path, "not hdf5 at all, just some text\n");
        var ex = Assert.Throws<Hdf5Exception>(() => Hdf5File.Open(path));
        Assert.Contains("not an HDF5 file", ex.Message);
        Assert.False(Hdf5File.IsHdf5(path));
    }

    [Fact]
    public void Open_TruncatedFile_ThrowsWithNativeMessage()
    {
        using var dir = new TempDirectory();
        string path = MakeFile(dir);
        byte[] bytes = File.ReadAllBytes(path);
        string cut = dir.File("cut.h5");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<Hdf5Exception>(() => { using var f = Hdf5File.Open(cut); using var d = f.OpenDataset("m"); d.Read<double>(); });
        Assert.Contains("cut.h5", ex.Message);
        Assert.False(string.IsNullOrEmpty(ex.NativeMessage));
    }

    [Fact]
    public void OpenDataset_Missing_NamesThePath()
    {
        using var dir = new TempDirectory();
        using var f = Hdf5File.Open(MakeFile(dir));
        var ex = Assert.Throws<Hdf5Exception>(() => f.OpenDataset("obs/missing"));
        Assert.Contains("/obs/missing", ex.Message);
        Assert.Equal("/obs/missing", ex.ObjectPath);
        var notGroup = Assert.Throws<Hdf5Exception>(() => f.OpenGroup("m"));
        Assert.Contains("expected a group", notGroup.Message);
        Assert.Throws<Hdf5Exception>(() => f.ReadStringAttribute("nothing"));
    }

    [Fact]
    public void Read_WrongRankOrType_ReportsExpectedAndActual()
    {
        using var dir = new TempDirectory();
        using var f = Hdf5File.Open(MakeFile(dir));
        using var m = f.OpenDataset("m");
        var rank = Assert.Throws<ArgumentException>(() => m.ReadHyperslab<double>([0], [1]));
        Assert.Contains("rank 2", rank.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.ReadRows<double>(1, 2));
        var type = Assert.Throws<Hdf5Exception>(() => m.ReadStrings());
        Assert.Contains("Float64", type.Message);
        using var s = f.OpenDataset("s");
        var numeric = Assert.Throws<Hdf5Exception>(() => s.Read<float>());
        Assert.Contains("VariableString", numeric.Message);
        Assert.Contains("Single", numeric.Message);
    }

    [Fact]
    public void Write_ReadOnlyFile_ThrowsHdf5ExceptionWithNativeMessage()
    {
        using var dir = new TempDirectory();
        using var f = Hdf5File.Open(MakeFile(dir), readOnly: true);
        var ex = Assert.Throws<Hdf5Exception>(() => f.WriteDataset("new", new[] { 1 }));
        Assert.Contains("/new", ex.Message);
        Assert.False(string.IsNullOrEmpty(ex.NativeMessage));
    }

    [Fact]
    public void Disposed_Object_ThrowsObjectDisposed()
    {
        using var dir = new TempDirectory();
        var f = Hdf5File.Open(MakeFile(dir));
        var d = f.OpenDataset("m");
        d.Dispose();
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => d.Read<double>());
        Assert.Throws<ObjectDisposedException>(() => f.ChildNames());
    }

    [Fact]
    public void ConcurrentReads_FromManyThreads_AreSerializedSafely()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.h5");
        using (var f = Hdf5File.Create(path)) f.WriteDataset<int>("v", Enumerable.Range(0, 1000).ToArray(), [1000]).Dispose();
        using var r = Hdf5File.Open(path);
        Parallel.For(0, 200, i =>
        {
            using var d = r.OpenDataset("v");
            Assert.Equal(i % 990, d.ReadRows<int>(i % 990, 10)[0]);
        });
    }
}
