using System.Buffers.Binary;
using System.Text;

namespace MlNetStem.Hdf5.Tests;

/// <summary>
/// Files whose global heap would make libhdf5 1.10.8 loop forever are refused before any native read. Each damaged file
/// here hangs libhdf5 when opened without the check (reproduced with the CLI; docs/RELIABILITY.md).
/// </summary>
public class GlobalHeapCheckTests
{
    /// <summary>A file with variable-length strings (stored in a global heap), and the offset of its first collection.</summary>
    private static (string Path, byte[] Bytes, int Collection) MakeFile(TempDirectory dir)
    {
        string path = dir.File("heap.h5");
        using (var f = Hdf5File.Create(path))
        {
            f.WriteAttribute("encoding-type", "anndata");
            f.WriteStrings("names", ["alpha", "beta", "gamma", "delta"]).Dispose();
        }
        byte[] bytes = File.ReadAllBytes(path);
        int collection = bytes.AsSpan().IndexOf("GCOL"u8);
        Assert.True(collection > 0, "the fixture has no global heap collection");
        return (path, bytes, collection);
    }

    [Fact]
    public void Open_IntactHeap_ReadsTheStrings()
    {
        using var dir = new TempDirectory();
        var (path, _, _) = MakeFile(dir);
        using var f = Hdf5File.Open(path);
        Assert.Equal("anndata", f.ReadStringAttribute("encoding-type"));
    }

    [Fact]
    public void Open_ZeroedObjectRecord_IsRefusedNamingTheHeap()
    {
        using var dir = new TempDirectory();
        var (path, bytes, collection) = MakeFile(dir);
        // Zero the first object record (16 bytes after the 16-byte collection header) and the data after it: the
        // walk then meets a free-space record of size 0, the case on which libhdf5 spins.
        Array.Clear(bytes, collection + 16, 62);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<Hdf5Exception>(() => Hdf5File.Open(path));
        Assert.Contains($"global heap at byte {collection}", ex.Message);
        Assert.Contains("heap.h5", ex.Message);
        Assert.Contains("object 0, size 0", ex.Message);
    }

    [Fact]
    public void Open_ObjectSizeThatWrapsThePointer_IsRefused()
    {
        using var dir = new TempDirectory();
        var (path, bytes, collection) = MakeFile(dir);
        // Object 1's size set so that header + aligned size wraps below zero: libhdf5 would step backwards.
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(collection + 16 + 8), ulong.MaxValue - 31);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<Hdf5Exception>(() => Hdf5File.Open(path));
        Assert.Contains("corrupt object record", ex.Message);
    }

    [Fact]
    public void Open_GcolTextInsideData_IsNotMistakenForAHeap()
    {
        using var dir = new TempDirectory();
        string path = dir.File("text.h5");
        // "GCOL" followed by bytes that are not a version-1 header, as raw data may hold: not a collection, no error.
        byte[] data = Encoding.ASCII.GetBytes("GCOL\u0002xyzGCOL\u0001\0\0\0\0\0\0\0\0\0\0\0GCOL");
        using (var f = Hdf5File.Create(path))
            f.WriteDataset<byte>("raw", data, [data.Length]).Dispose();
        using var opened = Hdf5File.Open(path);
        using var ds = opened.OpenDataset("raw");
        Assert.Equal(data, ds.Read<byte>());
    }
}
