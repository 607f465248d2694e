namespace MlNetStem.Torch.Tests;

/// <summary>libtorch's process-wide thread count (changed here only, in a collection that runs alone).</summary>
[Collection(TorchThreadsCollection.Name)]
public sealed class TorchThreadsTests
{
    [Fact]
    public void TorchThreads_Set_IsReflectedByGet_AndRejectsZero()
    {
        var before = TorchThreads.Get();
        try
        {
            TorchThreads.Set(1);
            Assert.Equal(1, TorchThreads.Get());
            Assert.Throws<ArgumentOutOfRangeException>(() => TorchThreads.Set(0));
        }
        finally
        {
            TorchThreads.Set(before);
        }
    }
}
