using System.Diagnostics;
using Xunit;

namespace MlNetStem.StockConsumer.Tests;

/// <summary>
/// The built mlnetstem CLI, run as a separate process: this project references no MlNetStem assembly, only stock
/// packages, so everything MlNetStem-specific happens behind the command line.
/// </summary>
internal static class MlNetStemCli
{
    /// <summary>The repository root: the folder above the test binaries that holds MlNetStem.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The CLI as built in Release by scripts/setup.sh (./test.sh) or <c>dotnet build src/Host -c Release</c>.</summary>
    public static string Dll => Path.Combine(Root, "src", "Host", "bin", "Release", "net10.0", "mlnetstem.dll");

    /// <summary>A bundled HER2ST section.</summary>
    public static string Her2st(string section) => Path.Combine(Root, "data", "her2st", section);

    /// <summary>Runs <c>dotnet mlnetstem.dll args</c>; fails the test with the CLI's stderr when it exits non-zero.</summary>
    public static string Run(params string[] args)
    {
        Assert.True(File.Exists(Dll),
            $"The mlnetstem CLI is not built: {Dll} does not exist. Build it first with 'dotnet build src/Host -c Release' " +
            "(./test.sh does, through scripts/setup.sh, which builds MlNetStem.sln in Release).");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(300_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mlnetstem {string.Join(' ', args)} did not finish in 5 minutes");
        }
        process.WaitForExit();
        Assert.True(process.ExitCode == 0,
            $"mlnetstem {string.Join(' ', args)} exited with {process.ExitCode}:\n{stderr.Result}\n{stdout.Result}");
        return stdout.Result;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MlNetStem.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Cannot find the repository root (the folder holding MlNetStem.sln) above " + AppContext.BaseDirectory);
    }
}
