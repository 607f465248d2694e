namespace MlNetStem.Torch.Tests;

public sealed class AutogradTests
{
    [Fact]
    public void Backward_OnSquareSum_GivesTwiceTheInput()
    {
        using var scope = Tensor.NewScope();
        var x = Tensor.FromArray(new double[] { 1, -2, 3 }, [3]).WithRequiresGrad();
        x.Square().Sum().Backward();
        Assert.Equal(new double[] { 2, -4, 6 }, x.Grad()!.ToDoubleArray());
    }

    [Fact]
    public void Gradients_Accumulate_UntilZeroGrad()
    {
        using var scope = Tensor.NewScope();
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2]).WithRequiresGrad();
        x.Sum().Backward();
        x.Sum().Backward();
        Assert.Equal(new double[] { 2, 2 }, x.Grad()!.ToDoubleArray());
        x.ZeroGrad();
        Assert.Null(x.Grad());
    }

    [Fact]
    public void NoGradScope_StopsRecording_AndRestoresMode()
    {
        using var scope = Tensor.NewScope();
        var x = Tensor.Ones([2]).WithRequiresGrad();
        using (new NoGradScope())
        {
            Assert.False(NoGradScope.IsGradEnabled);
            Assert.False((x * 2).RequiresGrad);
        }
        Assert.True(NoGradScope.IsGradEnabled);
        Assert.True((x * 2).RequiresGrad);
    }

    [Fact]
    public void Detach_CutsTheGraph()
    {
        using var scope = Tensor.NewScope();
        var x = Tensor.Ones([2]).WithRequiresGrad();
        Assert.False((x * 2).Detach().RequiresGrad);
    }

    [Fact]
    public void Backward_OnNonScalar_ThrowsNamingShape()
    {
        using var scope = Tensor.NewScope();
        var x = Tensor.Ones([2, 2]).WithRequiresGrad();
        var ex = Assert.Throws<InvalidOperationException>(() => (x * 2).Backward());
        Assert.Contains("[2, 2]", ex.Message);
    }

    [Fact]
    public void Backward_WithoutRequiresGrad_Throws()
    {
        using var scope = Tensor.NewScope();
        Assert.Throws<InvalidOperationException>(() => Tensor.Ones([1]).Sum().Backward());
    }

    [Fact]
    public void RequiresGrad_OnIntegerTensor_IsRefused()
    {
        using var t = Tensor.Zeros([2], DType.Int64);
        Assert.Throws<ArgumentException>(() => t.RequiresGrad = true);
    }

    [Fact]
    public void Gradients_MatchBackward_WithoutTouchingGrad_AndAreNullForUnusedInputs()
    {
        using var scope = Tensor.NewScope();
        var x = Tensor.FromArray(new double[] { 1, -2, 3 }, [3]).WithRequiresGrad();
        var w = Tensor.FromArray(new double[] { 0.5, 2, -1 }, [3]).WithRequiresGrad();
        var unused = Tensor.Ones([2], DType.Float64).WithRequiresGrad();
        var grads = Tensor.Gradients((x * w).Square().Sum(), [x, w, unused]);
        Assert.Null(x.Grad());
        Assert.Null(unused.Grad());
        Assert.Null(grads[2]);
        // d/dx Σ (x w)² = 2 x w², d/dw = 2 w x²
        Assert.Equal(new double[] { 0.5, -16, 6 }, grads[0]!.ToDoubleArray());
        Assert.Equal(new double[] { 1, 16, -18 }, grads[1]!.ToDoubleArray());
    }

    [Fact]
    public void Gradients_OfShardsOnParallelThreads_SumToTheWholeBatchGradient()
    {
        using var scope = Tensor.NewScope();
        using var generator = new Generator(5);
        var w = Tensor.RandN([4, 3], generator, DType.Float64).WithRequiresGrad();
        var x = Tensor.RandN([10, 4], generator, DType.Float64);
        x.Matmul(w).Tanh().Square().Sum().Backward();
        var whole = w.Grad()!.ToDoubleArray();
        var shards = new double[2][];
        Parallel.For(0, 2, k =>
        {
            using var inner = Tensor.NewScope();
            var part = x.Narrow(0, k * 5, 5).Matmul(w).Tanh().Square().Sum();
            shards[k] = Tensor.Gradients(part, [w])[0]!.ToDoubleArray();
        });
        for (int i = 0; i < whole.Length; i++) Assert.Equal(whole[i], shards[0][i] + shards[1][i], 12);
    }

    [Fact]
    public void SetGrad_ReplacesTheGradient_AndRejectsAnotherShape()
    {
        using var scope = Tensor.NewScope();
        var x = Tensor.Zeros([3]).WithRequiresGrad();
        x.SetGrad(Tensor.FromArray(new float[] { 1, 2, 3 }, [3]));
        Assert.Equal(new float[] { 1, 2, 3 }, x.Grad()!.ToFloatArray());
        x.SetGrad(null);
        Assert.Null(x.Grad());
        var e = Assert.Throws<ArgumentException>(() => x.SetGrad(Tensor.Zeros([2])));
        Assert.Contains("[2]", e.Message);
        Assert.Throws<InvalidOperationException>(() => Tensor.Gradients(Tensor.Ones([2]).Sum(), [x]));
    }
}
