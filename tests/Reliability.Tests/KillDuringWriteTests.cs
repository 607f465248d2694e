using System.Diagnostics;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Reliability.Tests;

/// <summary>
/// kill -9 of the CLI in the middle of writing its output: the previous file stays whole, and the temporary file the killed
/// write left is removed by a later write once it is stale. The kill lands exactly between "temporary file written" and
/// "renamed into place" through the <see cref="AtomicFile.FailpointVariable"/> failpoint, where the CLI announces itself
/// on standard error and waits: no timing is involved.
/// </summary>
public sealed class KillDuringWriteTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Cli => Path.Combine(RepositoryPaths.Root, "src", "Host", "bin", "Release", "net10.0", "mlnetstem.dll");

    [Fact]
    public void PredictionCsv_KilledBeforeRename_KeepsTheOldFile_AndTheNextWriteCleansUp()
    {
        string model10 = Train("m10.zip", genes: 10), model20 = Train("m20.zip", genes: 20);
        string output = _folder.File("predictions.csv");
        Run(["predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model10, "--output", output]);
        byte[] before = File.ReadAllBytes(output);

        string temp = KillAtFailpoint(["predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model20, "--output", output]);

        Assert.Equal(before, File.ReadAllBytes(output));                 // the 10-gene file, whole
        Assert.True(File.Exists(temp), $"the killed write left no temporary file at {temp}");
        // The temporary file holds the new (20-gene) result in full: only the rename was missing.
        Assert.Equal(File.ReadLines(output).First().Split(',').Length + 10, File.ReadLines(temp).First().Split(',').Length);

        // A fresh temporary file may belong to a live writer in another process and is left alone; once stale it goes.
        File.SetLastWriteTimeUtc(temp, DateTime.UtcNow - AtomicFile.StaleAfter - TimeSpan.FromMinutes(1));
        Run(["predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model20, "--output", output]);
        Assert.False(File.Exists(temp), "the stale temporary file of the killed write was not removed");
        Assert.Empty(Directory.GetFiles(_folder.Path, "*.tmp"));
    }

    [Fact]
    public void ModelZip_KilledBeforeRename_KeepsTheOldModel()
    {
        string model = Train("model.zip", genes: 10);
        byte[] before = File.ReadAllBytes(model);

        string temp = KillAtFailpoint(["train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--genes", "20", "--patch-px", "32"]);

        Assert.Equal(before, File.ReadAllBytes(model));
        Assert.True(File.Exists(temp));
        // The old model still loads and predicts.
        Run(["predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", _folder.File("p.csv")]);
        Assert.Equal(1 + 180, File.ReadAllLines(_folder.File("p.csv")).Length);   // header + every spot of C3
    }

    private string Train(string name, int genes)
    {
        string model = _folder.File(name);
        Run(["train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--genes", genes.ToString(), "--patch-px", "32"]);
        return model;
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        Assert.True(File.Exists(Cli), $"{Cli} is missing: build the solution in Release (scripts/setup.sh does)");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    private static void Run(string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"mlnetstem {string.Join(' ', args)} did not finish in {Limit.TotalMinutes:0} min; stderr: {stderr.Result}");
        }
        _ = stdout.Result;
        Assert.True(process.ExitCode == 0, $"mlnetstem {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result}");
    }

    /// <summary>Runs the CLI with the failpoint set, kills it (SIGKILL) when it reaches it, and returns the temporary file.</summary>
    private static string KillAtFailpoint(string[] args)
    {
        var start = StartInfo(args);
        start.Environment[AtomicFile.FailpointVariable] = "atomic-write-before-rename";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var errors = new List<string>();
        try
        {
            const string marker = "failpoint atomic-write-before-rename: ";
            var read = Task.Run(() =>
            {
                while (process.StandardError.ReadLine() is { } line)
                {
                    errors.Add(line);
                    if (line.StartsWith(marker, StringComparison.Ordinal)) return line[marker.Length..];
                }
                return null;
            });
            Assert.True(read.Wait(Limit), $"mlnetstem {string.Join(' ', args)} never reached the failpoint");
            return read.Result ?? throw new Xunit.Sdk.XunitException(
                $"mlnetstem {string.Join(' ', args)} exited {process.ExitCode} without reaching the failpoint: {string.Join('\n', errors)}");
        }
        finally
        {
            process.Kill(entireProcessTree: true);   // SIGKILL: no finally blocks, no cleanup in the child
            process.WaitForExit();
            _ = stdout.Result;
        }
    }
}
