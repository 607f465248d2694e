using MlNetStem.Torch.Interop;

namespace MlNetStem.Torch.Tests;

/// <summary>
/// Where the shim is looked for. The variable's value is passed in, never set on the process: other test classes
/// running in parallel resolve the library through the real environment.
/// </summary>
public sealed class ShimLocatorTests
{
    [Fact]
    public void Locate_WithoutVariable_FindsRepositoryShim()
    {
        Assert.EndsWith(Path.Combine(".native", "lib", "libmlnetstem_torch.so"), ShimLocator.Locate(fromEnv: null));
        Assert.EndsWith(Path.Combine(".native", "lib", "libmlnetstem_torch.so"), ShimLocator.Locate(fromEnv: " "));
    }

    [Fact]
    public void Locate_VariablePointsNowhere_ThrowsNamingVariableAndSetup()
    {
        var ex = Assert.Throws<DllNotFoundException>(() => ShimLocator.Locate("/nonexistent/libmlnetstem_torch.so"));
        Assert.Contains(ShimLocator.EnvironmentVariable, ex.Message);
        Assert.Contains("/nonexistent/libmlnetstem_torch.so", ex.Message);
        Assert.Contains("scripts/setup.sh", ex.Message);
    }

    [Fact]
    public void Locate_VariablePointsAtAFile_ReturnsIt()
    {
        string shim = ShimLocator.Locate(fromEnv: null);
        Assert.Equal(shim, ShimLocator.Locate(shim));
    }
}
