using MlNetStem.Torch.Interop;

namespace MlNetStem.Torch.Tests;

[Collection(nameof(ShimLocatorTests))] // edits a process-wide environment variable
public sealed class ShimLocatorTests
{
    // Bind the library before the variable is changed, so tests running in parallel never
    // resolve it while it points nowhere.
    public ShimLocatorTests() => _ = TorchThreads.Get();

    [Fact]
    public void Locate_WithoutVariable_FindsRepositoryShim()
    {
        var saved = Environment.GetEnvironmentVariable(ShimLocator.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(ShimLocator.EnvironmentVariable, null);
            Assert.EndsWith(Path.Combine(".native", "lib", "libmlnetstem_torch.so"), ShimLocator.Locate());
        }
        finally
        {
            Environment.SetEnvironmentVariable(ShimLocator.EnvironmentVariable, saved);
        }
    }

    [Fact]
    public void Locate_VariablePointsNowhere_ThrowsNamingVariableAndSetup()
    {
        var saved = Environment.GetEnvironmentVariable(ShimLocator.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(ShimLocator.EnvironmentVariable, "/nonexistent/libmlnetstem_torch.so");
            var ex = Assert.Throws<DllNotFoundException>(ShimLocator.Locate);
            Assert.Contains(ShimLocator.EnvironmentVariable, ex.Message);
            Assert.Contains("scripts/setup.sh", ex.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ShimLocator.EnvironmentVariable, saved);
        }
    }
}
