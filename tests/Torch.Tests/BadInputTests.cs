namespace MlNetStem.Torch.Tests;

/// <summary>Bad input raises a clear managed exception and never reaches (or crashes) libtorch.</summary>
public sealed class BadInputTests
{
    [Fact]
    public void DisposedTensor_AnyOperation_ThrowsObjectDisposed()
    {
        var t = Tensor.Ones([2]);
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.Exp());
        Assert.Throws<ObjectDisposedException>(() => t.Shape);
        Assert.Throws<ObjectDisposedException>(() => t.ToFloatArray());
        using var other = Tensor.Ones([2]);
        Assert.Throws<ObjectDisposedException>(() => other + t);
    }

    [Fact]
    public void TensorDisposedByScope_ThrowsObjectDisposed()
    {
        Tensor t;
        using (Tensor.NewScope()) t = Tensor.Ones([2]);
        var ex = Assert.Throws<ObjectDisposedException>(() => t.Sum());
        Assert.Contains("DisposeScope", ex.Message);
    }

    [Fact]
    public void Matmul_ShapeMismatch_ThrowsWithBothShapes()
    {
        using var scope = Tensor.NewScope();
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3]).Matmul(Tensor.Zeros([4, 5])));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
    }

    [Fact]
    public void Matmul_BatchMismatch_Throws()
    {
        using var scope = Tensor.NewScope();
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 2, 3]).Matmul(Tensor.Zeros([3, 3, 4])));
    }

    [Fact]
    public void Matmul_DTypeMismatch_ThrowsNamingDTypes()
    {
        using var scope = Tensor.NewScope();
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 2]).Matmul(Tensor.Zeros([2, 2], DType.Float64)));
        Assert.Contains("Float64", ex.Message);
    }

    [Fact]
    public void Linear_FeatureMismatch_ThrowsWithShapes()
    {
        using var scope = Tensor.NewScope();
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Linear(Tensor.Zeros([8, 5]), Tensor.Zeros([4, 3])));
        Assert.Contains("[8, 5]", ex.Message);
        Assert.Contains("[4, 3]", ex.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Linear(Tensor.Zeros([8, 3]), Tensor.Zeros([4, 3]), Tensor.Zeros([3])));
    }

    [Fact]
    public void Add_NonBroadcastableShapes_ThrowsWithBothShapes()
    {
        using var scope = Tensor.NewScope();
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3]) + Tensor.Zeros([4]));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
    }

    [Fact]
    public void Cat_MismatchedSizes_ThrowsNamingTheTensor()
    {
        using var scope = Tensor.NewScope();
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Zeros([2, 3]), Tensor.Zeros([2, 4])], 0));
        Assert.Contains("tensor 1", ex.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Cat(Array.Empty<Tensor>()));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(-3)]
    public void Softmax_DimOutOfRange_ThrowsWithValidRange(long dim)
    {
        using var scope = Tensor.NewScope();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros([2, 3]).Softmax(dim));
        Assert.Contains($"dim {dim}", ex.Message);
        Assert.Contains("-2..1", ex.Message);
    }

    [Fact]
    public void OtherDimArguments_OutOfRange_Throw()
    {
        using var scope = Tensor.NewScope();
        var x = Tensor.Zeros([2, 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Sum(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Transpose(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(1, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Unsqueeze(4));
        Assert.Throws<ArgumentException>(() => x.Permute(0, 0));
        Assert.Throws<ArgumentException>(() => x.Reshape(4, 2));
    }

    [Fact]
    public void LayerNorm_TrailingShapeMismatch_Throws()
    {
        using var scope = Tensor.NewScope();
        var ex = Assert.Throws<ArgumentException>(() => Tensor.LayerNorm(Tensor.Zeros([2, 3]), [4]));
        Assert.Contains("[2, 3]", ex.Message);
    }

    [Fact]
    public void MseLoss_ShapeMismatch_Throws()
    {
        using var scope = Tensor.NewScope();
        Assert.Throws<ArgumentException>(() => Tensor.MseLoss(Tensor.Zeros([2, 3]), Tensor.Zeros([3])));
    }

    [Fact]
    public void NativeFailure_BecomesTorchException_WithOperationAndMessage()
    {
        using var scope = Tensor.NewScope();
        // A view of a transposed (non-contiguous) tensor passes the C# checks but fails in libtorch.
        var t = Tensor.Zeros([2, 3]).Transpose(0, 1);
        var ex = Assert.Throws<TorchException>(() => t.View(6));
        Assert.Equal("view", ex.Operation);
        Assert.Contains("view", ex.NativeMessage);
        Assert.DoesNotContain("Exception raised from", ex.Message); // no C++ backtrace
    }

    [Fact]
    public void IndexSelect_IndexOutOfRange_BecomesTorchException_ProcessSurvives()
    {
        using var scope = Tensor.NewScope();
        var ex = Assert.Throws<TorchException>(() =>
            Tensor.Zeros([3, 2]).IndexSelect(0, Tensor.FromArray(new long[] { 7 }, [1])));
        Assert.Equal("index_select", ex.Operation);
        Assert.Equal(new float[] { 1 }, Tensor.Ones([1]).ToFloatArray());
    }

    [Fact]
    public void NativeError_IsPerThread_AndDoesNotLeakIntoLaterCalls()
    {
        using var scope = Tensor.NewScope();
        Assert.Throws<TorchException>(() => Tensor.Zeros([2, 3]).Transpose(0, 1).View(6));
        Assert.Equal(6, Tensor.Zeros([2, 3]).Reshape(6).Numel);
    }

    [Fact]
    public void Clamp_WithoutBounds_Throws()
    {
        using var t = Tensor.Zeros([2]);
        Assert.Throws<ArgumentException>(() => t.Clamp());
        Assert.Throws<ArgumentException>(() => t.Clamp(2, 1));
    }
}
