using System.Diagnostics;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mlnetstem.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "mlnetstem timed out");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Theory]
    [InlineData("demo")]
    [InlineData("train")]
    [InlineData("predict")]
    [InlineData("evaluate")]
    public void EveryCommand_HasHelp(string command)
    {
        var (code, output, _) = Run(command, "--help");
        Assert.Equal(0, code);
        Assert.Contains($"usage: mlnetstem {command}", output);
        Assert.Contains("--", output);
    }

    [Fact]
    public void UnknownOption_ExitsWithUsageCode()
    {
        var (code, _, err) = Run("train", "--bogus", "1");
        Assert.Equal(2, code);
        Assert.Contains("unknown option '--bogus'", err);
    }

    [Fact]
    public void MissingInput_ExitsNonZeroWithOneLineReason()
    {
        var (code, _, err) = Run("predict", "--input", "/nonexistent", "--model", "/nonexistent/m.zip");
        Assert.Equal(1, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("does not exist", err);
    }

    [Fact]
    public void CorruptModel_ExitsNonZeroWithReason()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("m.zip"), "not a zip");
        var (code, _, err) = Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", folder.File("m.zip"));
        Assert.Equal(1, code);
        Assert.Contains("not a model archive", err);
    }

    [Fact]
    public void TrainThenPredictAndEvaluate_WritesOutputs()
    {
        using var folder = new TempFolder();
        string model = folder.File("m.zip");
        var train = Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--genes", "30", "--patch-px", "64");
        Assert.True(train.Code == 0, train.Err);
        var predict = Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("p.csv"));
        Assert.True(predict.Code == 0, predict.Err);
        var lines = File.ReadAllLines(folder.File("p.csv"));
        Assert.Equal(30 + 3, lines[0].Split(',').Length);
        Assert.True(lines.Length > 150);
        var evaluate = Run("evaluate", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("m.json"));
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Contains("mean PCC", evaluate.Out);
        Assert.Contains("\"MeanPcc\"", File.ReadAllText(folder.File("m.json")));
    }
}
