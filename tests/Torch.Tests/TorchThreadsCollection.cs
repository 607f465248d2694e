namespace MlNetStem.Torch.Tests;

/// <summary>
/// libtorch's thread count is process-wide: this class changes it, so it runs alone (no other test class in parallel
/// sees a count it did not set).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchThreadsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "process-wide libtorch threads";
}
