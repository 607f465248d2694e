using MlNetStem.Torch.Nn;
using MlNetStem.Torch.Optim;

namespace MlNetStem.Torch.Tests;

public sealed class StateDictTests
{
    [Fact]
    public void Module_SaveLoad_RoundTripIsBitExact()
    {
        using var source = new ModuleTests.Net(1);
        using var target = new ModuleTests.Net(2);
        Assert.NotEqual(Values(source), Values(target));
        var ms = new MemoryStream();
        source.SaveStateDict(ms);
        ms.Position = 0;
        target.LoadStateDict(ms);
        Assert.Equal(ms.Length, ms.Position);
        Assert.Equal(Values(source), Values(target));
    }

    [Fact]
    public void SaveLoad_SpecialFloatValues_KeepTheirBits()
    {
        float[] special = [float.NaN, -0f, float.Epsilon, float.PositiveInfinity, float.NegativeInfinity, 1e-40f];
        double[] specialD = [double.NaN, -0.0, double.Epsilon, 1.0 / 3];
        using var scope = Tensor.NewScope();
        var ms = new MemoryStream();
        StateDict.Save(ms, [new("f", Tensor.FromArray(special, [2, 3])), new("d", Tensor.FromArray(specialD, [4])),
            new("i", Tensor.FromArray(new long[] { long.MinValue, 7 }, [2])), new("s", Tensor.Full([], 2.5))]);
        ms.Position = 0;
        var loaded = StateDict.Load(ms).ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal(special.Select(BitConverter.SingleToInt32Bits), loaded["f"].ToFloatArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(specialD.Select(BitConverter.DoubleToInt64Bits), loaded["d"].ToDoubleArray().Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(new long[] { long.MinValue, 7 }, loaded["i"].ToInt64Array());
        Assert.Empty(loaded["s"].Shape);
        Assert.Equal([2L, 3L], loaded["f"].Shape);
    }

    [Fact]
    public void Load_TruncatedStream_ThrowsTruncatedNamingTheEntry()
    {
        using var source = new ModuleTests.Net(1);
        var ms = new MemoryStream();
        source.SaveStateDict(ms);
        var bytes = ms.ToArray();
        foreach (var cut in new[] { 4, 20, bytes.Length / 2, bytes.Length - 1 })
        {
            using var target = new ModuleTests.Net(2);
            var before = Values(target);
            var ex = Assert.Throws<InvalidDataException>(() => target.LoadStateDict(new MemoryStream(bytes[..cut])));
            Assert.Contains("truncated", ex.Message);
            Assert.Equal(before, Values(target)); // nothing half-loaded
        }
    }

    [Fact]
    public void Load_ShapeAndNameMismatch_ListsEveryDifference()
    {
        using var scope = Tensor.NewScope();
        var ms = new MemoryStream();
        StateDict.Save(ms, [new("weight", Tensor.Zeros([2, 3])), new("extra", Tensor.Zeros([1]))]);
        ms.Position = 0;
        using var g = new Generator(1);
        using var lin = new Linear(4, 2, g);
        var ex = Assert.Throws<InvalidDataException>(() => lin.LoadStateDict(ms));
        Assert.Contains("'weight': stored shape [2, 3], expected [2, 4]", ex.Message);
        Assert.Contains("missing 'bias'", ex.Message);
        Assert.Contains("unexpected 'extra'", ex.Message);
    }

    [Fact]
    public void Load_NewerFormatVersion_IsRefusedWithVersionInMessage()
    {
        var ms = new MemoryStream();
        ms.Write("MSTSTATE"u8);
        ms.Write(BitConverter.GetBytes(99));
        ms.Write(BitConverter.GetBytes(0));
        ms.Position = 0;
        var ex = Assert.Throws<InvalidDataException>(() => StateDict.Load(ms));
        Assert.Contains("version 99", ex.Message);
    }

    [Fact]
    public void Load_NotAStateDict_IsRefused()
    {
        var ex = Assert.Throws<InvalidDataException>(() => StateDict.Load(new MemoryStream("PK\u0003\u0004 not a state dict"u8.ToArray())));
        Assert.Contains("magic", ex.Message);
    }

    [Fact]
    public void Load_CorruptByteCount_IsRefused()
    {
        using var scope = Tensor.NewScope();
        var ms = new MemoryStream();
        StateDict.Save(ms, [new("w", Tensor.Zeros([2]))]);
        var bytes = ms.ToArray();
        // The data length field sits just before the 8 data bytes.
        BitConverter.GetBytes(12L).CopyTo(bytes, bytes.Length - 8 - 8);
        var ex = Assert.Throws<InvalidDataException>(() => StateDict.Load(new MemoryStream(bytes)));
        Assert.Contains("'w'", ex.Message);
    }

    [Fact]
    public void AdamWState_RoundTrips_AndResumesIdentically()
    {
        static (Tensor P, AdamW Opt) Make()
        {
            var p = Tensor.FromArray(new double[] { 1, -2, 3 }, [3]).WithRequiresGrad().DetachFromDisposeScope();
            return (p, new AdamW([p], learningRate: 0.05));
        }
        static void Step(Tensor p, AdamW opt)
        {
            using var scope = Tensor.NewScope();
            opt.ZeroGrad();
            p.Pow(4).Sum().Backward();
            opt.Step();
        }
        var (p1, o1) = Make();
        var (p2, o2) = Make();
        using (p1) using (o1) using (p2) using (o2)
        {
            for (var i = 0; i < 3; i++) Step(p1, o1);
            var ms = new MemoryStream();
            o1.SaveState(ms);
            ms.Position = 0;
            o2.LoadState(ms);
            p2.CopyFrom(p1);
            Assert.Equal(3, o2.StepCount);
            Step(p1, o1);
            Step(p2, o2);
            Assert.Equal(p1.ToDoubleArray(), p2.ToDoubleArray());
        }
    }

    private static float[] Values(Module m) => m.StateEntries().SelectMany(e => e.Value.ToFloatArray()).ToArray();
}
