using System.Diagnostics;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Reliability.Tests;

/// <summary>Two CLI processes writing the same output at once: each write is atomic, so the file is one whole result.</summary>
public sealed class ConcurrentWriteTests
{
    private static string Cli => Path.Combine(RepositoryPaths.Root, "src", "Host", "bin", "Release", "net10.0", "mlnetstem.dll");

    private static Process Start(params string[] args)
    {
        Assert.True(File.Exists(Cli), $"{Cli} is missing: build the solution in Release (scripts/setup.sh does)");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    private static async Task<(int Code, string Error)> Finish(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);   // never leave the child running behind the test
            await process.WaitForExitAsync();
            Assert.Fail($"mlnetstem ran past 3 minutes and was killed; stderr: {await stderr}");
        }
        await stdout;
        return (process.ExitCode, await stderr);
    }

    [Fact]
    public async Task TwoPredictionsToOneFile_LeaveOneCompleteFile_AndNoTemporaryFiles()
    {
        using var folder = new TempFolder();
        string model = folder.File("model.zip"), output = folder.File("predictions.csv");
        using (var train = Start("train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--genes", "20", "--patch-px", "64"))
        {
            var (code, error) = await Finish(train);
            Assert.True(code == 0, error);
        }
        using var first = Start("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", output);
        using var second = Start("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", output);
        var results = await Task.WhenAll(Finish(first), Finish(second));
        foreach (var (code, error) in results) Assert.True(code == 0, error);

        var lines = File.ReadAllLines(output);
        Assert.Equal(1 + 180, lines.Length);                         // header + every spot of C3
        Assert.All(lines.Skip(1), l => Assert.Equal(lines[0].Split(',').Length, l.Split(',').Length));
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));
    }
}
