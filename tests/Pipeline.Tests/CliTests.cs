using System.Diagnostics;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public class CliTests
{
    /// <summary>Runs the built mlnetstem CLI with <paramref name="args"/>; shared with other CLI-level tests.</summary>
    internal static (int Code, string Out, string Err) Run(params string[] args)
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

    [Fact]
    public void StemFast_TrainPredictWithSamplingOptions_AndExportToOnnx()
    {
        using var folder = new TempFolder();
        string model = folder.File("stem.zip");
        var train = Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--trainer", "stem-fast",
            "--epochs", "3", "--genes", "10", "--patch-px", "64");
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("Stem diffusion (ResidualMlp", train.Out);
        var predict = Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("p.csv"),
            "--sampler", "ddim", "--steps", "4", "--draws", "3");
        Assert.True(predict.Code == 0, predict.Err);
        Assert.Equal(10 + 3, File.ReadLines(folder.File("p.csv")).First().Split(',').Length);
        var evaluate = Run("evaluate", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--steps", "3", "--draws", "4");
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Contains("coverage 80%", evaluate.Out);
        var export = Run("export", "--model", model, "--onnx", folder.File("stem.onnx"), "--steps", "3", "--draws", "2");
        Assert.True(export.Code == 0, export.Err);
        using var session = MlNetStem.Onnx.OnnxSession.Load(folder.File("stem.onnx"));
        Assert.Equal("embedding", Assert.Single(session.Inputs).Name);
    }

    [Fact]
    public void SamplingOptionsOnARidgeModel_AreAUsageError()
    {
        using var folder = new TempFolder();
        string model = folder.File("r.zip");
        Assert.Equal(0, Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--genes", "5", "--patch-px", "32").Code);
        var (code, _, err) = Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--draws", "5");
        Assert.Equal(2, code);
        Assert.Contains("diffusion", err);
        Assert.Equal(0, Run("export", "--model", model, "--onnx", folder.File("r.onnx")).Code);
        Assert.True(File.Exists(folder.File("r.onnx")));
    }
}
