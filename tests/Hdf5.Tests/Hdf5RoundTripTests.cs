namespace MlNetStem.Hdf5.Tests;

public class Hdf5RoundTripTests
{
    [Fact]
    public void Numeric_AllElementTypes_RoundTripWithShapeAndType()
    {
        using var dir = new TempDirectory();
        string path = dir.File("n.h5");
        float[] floats = Enumerable.Range(0, 12).Select(i => i * 0.5f - 1).ToArray();
        double[] doubles = [1.5, -2.25, double.NaN];
        int[] ints = [int.MinValue, 0, int.MaxValue];
        long[] longs = [long.MinValue, 7L, long.MaxValue];
        byte[] bytes = [0, 128, 255];
        bool[] bools = [true, false, true];
        using (var f = Hdf5File.Create(path))
        {
            f.WriteDataset<float>("f32", floats, [3, 4]).Dispose();
            f.WriteDataset("f64", doubles).Dispose();
            f.WriteDataset("i32", ints).Dispose();
            f.WriteDataset("i64", longs).Dispose();
            f.WriteDataset("u8", bytes).Dispose();
            f.WriteDataset("b", bools).Dispose();
            f.WriteScalar("scalar", 42L).Dispose();
        }
        using var r = Hdf5File.Open(path);
        using (var d = r.OpenDataset("f32"))
        {
            Assert.Equal(new long[] { 3, 4 }, d.Shape);
            Assert.Equal(Hdf5ElementType.Float32, d.ElementType);
            Assert.Equal(floats, d.Read<float>());
            Assert.Equal(floats.Select(x => (double)x), d.Read<double>());   // native conversion
        }
        using (var d = r.OpenDataset("f64")) Assert.Equal(doubles, d.Read<double>());
        using (var d = r.OpenDataset("i32")) { Assert.Equal(Hdf5ElementType.Int32, d.ElementType); Assert.Equal(ints, d.Read<int>()); }
        using (var d = r.OpenDataset("i64")) Assert.Equal(longs, d.Read<long>());
        using (var d = r.OpenDataset("u8")) { Assert.Equal(Hdf5ElementType.UInt8, d.ElementType); Assert.Equal(bytes, d.Read<byte>()); }
        using (var d = r.OpenDataset("b")) { Assert.Equal(Hdf5ElementType.Boolean, d.ElementType); Assert.Equal(bools, d.Read<bool>()); }
        using (var d = r.OpenDataset("scalar"))
        {
            Assert.Equal(0, d.Rank);
            Assert.Equal(42L, d.ReadScalar<long>());
            Assert.Equal(42.0, d.ReadScalar<double>());
        }
    }

    [Fact]
    public void Hyperslab_RowsAndBlocks_ReadOnlyTheSelection()
    {
        using var dir = new TempDirectory();
        string path = dir.File("h.h5");
        int[] values = Enumerable.Range(0, 50).ToArray();   // 10 x 5: value = 5 * row + col
        using (var f = Hdf5File.Create(path))
        {
            f.WriteDataset<int>("m", values, [10, 5], compressionLevel: 4).Dispose();
            f.WriteDataset("v", Enumerable.Range(100, 20).Select(i => (double)i).ToArray()).Dispose();
        }
        using var r = Hdf5File.Open(path);
        using var m = r.OpenDataset("m");
        Assert.Equal(Enumerable.Range(15, 10), m.ReadRows<int>(3, 2));
        Assert.Equal(new[] { 12, 13, 17, 18 }, m.ReadHyperslab<int>([2, 2], [2, 2]));
        Assert.Empty(m.ReadRows<int>(10, 0));
        using var v = r.OpenDataset("v");
        Assert.Equal(new[] { 105.0, 106.0, 107.0 }, v.ReadRows<double>(5, 3));
    }

    [Fact]
    public void WriteRows_IntoCreatedDataset_FillsInPieces()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.h5");
        using (var f = Hdf5File.Create(path))
        using (var d = f.CreateDataset<float>("p", [4, 2], compressionLevel: 1))
        {
            d.WriteRows<float>(0, [1, 2, 3, 4]);
            d.WriteRows<float>(2, [5, 6, 7, 8]);
            Assert.Throws<ArgumentException>(() => d.WriteRows<float>(0, [1, 2, 3]));
            Assert.Throws<ArgumentOutOfRangeException>(() => d.WriteRows<float>(3, [1, 2, 3, 4]));
        }
        using var r = Hdf5File.Open(path);
        using var p = r.OpenDataset("p");
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, p.Read<float>());
    }

    [Fact]
    public void Strings_VariableLengthUtf8_RoundTripIncludingRowsAndScalar()
    {
        using var dir = new TempDirectory();
        string path = dir.File("s.h5");
        string[] names = ["ERBB2", "", "Gène-α", "日本", "x"];
        using (var f = Hdf5File.Create(path))
        {
            f.WriteStrings("names", names).Dispose();
            f.WriteString("one", "solo").Dispose();
        }
        using var r = Hdf5File.Open(path);
        using var d = r.OpenDataset("names");
        Assert.Equal(Hdf5ElementType.VariableString, d.ElementType);
        Assert.Equal(names, d.ReadStrings());
        Assert.Equal(new[] { "Gène-α", "日本" }, d.ReadStringRows(2, 2));
        using var s = r.OpenDataset("one");
        Assert.Equal("solo", s.ReadScalarString());
    }

    [Fact]
    public void Groups_CreateListExistsAndNestedPaths()
    {
        using var dir = new TempDirectory();
        string path = dir.File("g.h5");
        using (var f = Hdf5File.Create(path))
        using (var a = f.CreateGroup("a"))
        using (var b = a.CreateGroup("b"))
        {
            b.WriteDataset("d", new[] { 1, 2 }).Dispose();
            a.WriteDataset("z", new[] { 3 }).Dispose();
            Assert.Throws<Hdf5Exception>(() => f.CreateGroup("a"));
        }
        using var r = Hdf5File.Open(path);
        Assert.Equal(new[] { "a" }, r.ChildNames());
        using var g = r.OpenGroup("a");
        Assert.Equal("/a", g.Path);
        Assert.Equal(new[] { "b", "z" }, g.ChildNames());
        Assert.Equal(Hdf5ObjectKind.Dataset, r.GetKind("a/b/d"));
        Assert.Equal(Hdf5ObjectKind.Group, r.GetKind("a/b"));
        Assert.False(r.Exists("a/b/nope"));
        Assert.False(r.Exists("a/z/below-a-dataset"));
        using var d = r.OpenDataset("a/b/d");
        Assert.Equal("/a/b/d", d.Path);
        Assert.Equal(new[] { 1, 2 }, d.Read<int>());
    }

    [Fact]
    public void Attributes_StringNumericArrayAndBool_RoundTrip()
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.h5");
        using (var f = Hdf5File.Create(path))
        using (var g = f.CreateGroup("g"))
        {
            g.WriteAttribute("encoding-type", "csr_matrix");
            g.WriteAttribute("column-order", new[] { "a", "β" });
            g.WriteAttribute<long>("shape", [4, 3]);
            g.WriteScalarAttribute("ordered", true);
            g.WriteScalarAttribute("scale", 0.25);
            g.WriteAttribute("encoding-type", "replaced");   // overwrite
            f.WriteAttribute("root", "r");
        }
        using var r = Hdf5File.Open(path);
        using var h = r.OpenGroup("g");
        Assert.Equal(new[] { "column-order", "encoding-type", "ordered", "scale", "shape" }, h.AttributeNames());
        Assert.Equal("replaced", h.ReadStringAttribute("encoding-type"));
        Assert.Equal(new[] { "a", "β" }, h.ReadStringArrayAttribute("column-order"));
        Assert.Equal(new long[] { 4, 3 }, h.ReadAttribute<long>("shape"));
        Assert.Equal(new[] { 4, 3 }, h.ReadAttribute<int>("shape"));
        Assert.True(h.ReadScalarAttribute<bool>("ordered"));
        Assert.Equal(0.25, h.ReadScalarAttribute<double>("scale"));
        var info = h.GetAttributeInfo("ordered");
        Assert.Equal(Hdf5ElementType.Boolean, info.Type);
        Assert.Empty(info.Shape);
        Assert.True(r.HasAttribute("root"));
        Assert.Equal("r", r.ReadStringAttribute("root"));
        Assert.False(h.HasAttribute("missing"));
    }
}
