namespace MlNetStem.Torch.Tests;

public sealed class TensorTests
{
    [Fact]
    public void FromArray_ToFloatArray_RoundTripsValuesAndShape()
    {
        using var t = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Assert.Equal([2L, 3L], t.Shape);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(Device.Cpu, t.Device);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, t.ToFloatArray());
    }

    [Fact]
    public void FromArray_LengthDiffersFromShape_ThrowsWithBothCounts()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], [2, 3]));
        Assert.Contains("6 elements", ex.Message);
        Assert.Contains("5", ex.Message);
    }

    [Fact]
    public void ToDoubleArray_OnFloat32Tensor_ThrowsNamingDType()
    {
        using var t = Tensor.Zeros([2]);
        var ex = Assert.Throws<InvalidOperationException>(() => t.ToDoubleArray());
        Assert.Contains("Float32", ex.Message);
    }

    [Fact]
    public void ZerosOnesFullArange_HaveExpectedValues()
    {
        using var scope = Tensor.NewScope();
        Assert.All(Tensor.Zeros([3]).ToFloatArray(), v => Assert.Equal(0f, v));
        Assert.All(Tensor.Ones([2, 2], DType.Float64).ToDoubleArray(), v => Assert.Equal(1.0, v));
        Assert.All(Tensor.Full([4], 2.5).ToFloatArray(), v => Assert.Equal(2.5f, v));
        Assert.Equal(new long[] { 0, 2, 4 }, Tensor.Arange(0, 6, 2, DType.Int64).ToInt64Array());
    }

    [Fact]
    public void Matmul_ComputesKnownProduct()
    {
        using var scope = Tensor.NewScope();
        var a = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [2, 2]);
        var b = Tensor.FromArray(new float[] { 5, 6, 7, 8 }, [2, 2]);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, a.Matmul(b).ToFloatArray());
    }

    [Fact]
    public void Operators_ScalarAndTensor_FollowBroadcasting()
    {
        using var scope = Tensor.NewScope();
        var a = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var row = Tensor.FromArray(new float[] { 10, 20, 30 }, [3]);
        Assert.Equal(new float[] { 11, 22, 33, 14, 25, 36 }, (a + row).ToFloatArray());
        Assert.Equal(new float[] { 1, 0, -1, -2, -3, -4 }, (2 - a).ToFloatArray());
        Assert.Equal(new float[] { 0.5f, 1, 1.5f, 2, 2.5f, 3 }, (a / 2).ToFloatArray());
    }

    [Fact]
    public void SoftmaxRows_SumToOne()
    {
        using var scope = Tensor.NewScope();
        var x = Tensor.FromArray(new float[] { 1, 2, 3, -1, 0, 5 }, [2, 3]);
        var sums = x.Softmax(-1).Sum(1).ToFloatArray();
        Assert.All(sums, s => Assert.Equal(1f, s, 1e-6f));
    }

    [Fact]
    public void LayerNormWithoutAffine_GivesZeroMeanUnitVariance()
    {
        using var scope = Tensor.NewScope();
        using var gen = new Generator(3);
        var x = Tensor.RandN([4, 16], gen) * 3 + 7;
        var y = Tensor.LayerNorm(x, [16]);
        Assert.All(y.Mean(1).ToFloatArray(), m => Assert.Equal(0f, m, 1e-5f));
        Assert.All(y.Square().Mean(1).ToFloatArray(), v => Assert.Equal(1f, v, 1e-3f));
    }

    [Fact]
    public void Chunk_SplitsLikeTorch()
    {
        using var scope = Tensor.NewScope();
        var x = Tensor.Arange(0, 10);
        var parts = x.Chunk(3);
        Assert.Equal([4L, 4L, 2L], parts.Select(p => p.Shape[0]));
        Assert.Equal(new float[] { 8, 9 }, parts[2].ToFloatArray());
    }

    [Fact]
    public void Where_PicksByCondition()
    {
        using var scope = Tensor.NewScope();
        var a = Tensor.FromArray(new float[] { 1, 5, 3 }, [3]);
        var b = Tensor.FromArray(new float[] { 4, 2, 6 }, [3]);
        Assert.Equal(new float[] { 4, 5, 6 }, Tensor.Where(a.Gt(b), a, b).ToFloatArray());
    }

    [Fact]
    public void Generator_SameSeed_GivesSameNumbers_DifferentSeed_DoesNot()
    {
        using var scope = Tensor.NewScope();
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        using var g3 = new Generator(43);
        var a = Tensor.RandN([64], g1).ToFloatArray();
        Assert.Equal(a, Tensor.RandN([64], g2).ToFloatArray());
        Assert.NotEqual(a, Tensor.RandN([64], g3).ToFloatArray());
        g1.SetSeed(42);
        Assert.Equal(a, Tensor.RandN([64], g1).ToFloatArray());
    }

    [Fact]
    public void RandAndRandInt_StayInRange()
    {
        using var scope = Tensor.NewScope();
        using var g = new Generator(7);
        Assert.All(Tensor.Rand([1000], g).ToFloatArray(), v => Assert.InRange(v, 0f, 1f));
        var ints = Tensor.RandInt(3, 6, [1000], g).ToInt64Array();
        Assert.All(ints, v => Assert.InRange(v, 3L, 5L));
        Assert.Equal(3, ints.Distinct().Count());
    }

    [Fact]
    public void DisposeScope_DisposesTemporaries_KeepsMovedTensor()
    {
        Tensor temp, kept;
        using (var outer = Tensor.NewScope())
        {
            using (var inner = Tensor.NewScope())
            {
                temp = Tensor.Ones([2]);
                kept = (temp * 3).MoveToOuterScope();
                Assert.Equal(1, inner.Count);
            }
            Assert.True(temp.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal(new float[] { 3, 3 }, kept.ToFloatArray());
        }
        Assert.True(kept.IsDisposed);
    }

    [Fact]
    public void DetachFromDisposeScope_SurvivesScope()
    {
        Tensor t;
        using (Tensor.NewScope()) t = Tensor.Ones([1]).DetachFromDisposeScope();
        Assert.False(t.IsDisposed);
        t.Dispose();
        Assert.True(t.IsDisposed);
    }

    [Fact]
    public void LibTorchVersion_IsReported()
    {
        Assert.True(TorchThreads.LibTorchVersion >= new Version(1, 13));
    }

    [Fact]
    public void Cuda_WhenNotAvailable_IsRefusedBeforeNativeCall()
    {
        if (Device.IsCudaAvailable) return; // a CUDA build can allocate there; nothing to refuse
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2], device: Device.Cuda()));
        Assert.Contains("cuda:0", ex.Message);
    }
}
