using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// Files the tests run from their output folder (Python helpers) are the repository's current ones: test.sh runs
/// `dotnet test --no-build`, so a stale copy would test old code (scripts/setup.sh rebuilds when any such file changes).
/// </summary>
public class CopiedTestFilesTests
{
    [Theory]
    [InlineData("Pipeline.Tests")]
    [InlineData("Hdf5.Tests")]
    public void PythonHelpers_InTheOutputFolder_MatchTheRepository(string project)
    {
        string source = Path.Combine(RepositoryPaths.Root, "tests", project, "Python");
        string output = Path.Combine(RepositoryPaths.Root, "tests", project, "bin", "Release", "net10.0", "Python");
        var scripts = Directory.GetFiles(source, "*.py");
        Assert.NotEmpty(scripts);
        foreach (string script in scripts)
        {
            string copy = Path.Combine(output, Path.GetFileName(script));
            Assert.True(File.Exists(copy), $"{copy} is missing: run scripts/setup.sh");
            Assert.True(File.ReadAllBytes(script).AsSpan().SequenceEqual(File.ReadAllBytes(copy)),
                $"{copy} differs from {script}: the build did not copy the edited helper (run scripts/setup.sh)");
        }
    }
}
