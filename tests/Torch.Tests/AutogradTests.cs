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
}
