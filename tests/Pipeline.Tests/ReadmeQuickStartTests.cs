using System.Diagnostics;
using MlNetStem.Data;
using MlNetStem.Evaluation;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>The README's C# quick start is a real program: samples/QuickStart holds it verbatim, and it runs.</summary>
public class ReadmeQuickStartTests
{
    private static string ProgramPath => Path.Combine(RepositoryPaths.Root, "samples", "QuickStart", "Program.cs");

    [Fact]
    public void ReadmeQuickStart_IsTheSampleProgram()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        int section = readme.IndexOf("## Quick start in C#", StringComparison.Ordinal);
        Assert.True(section >= 0, "README has no '## Quick start in C#' section");
        int start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = readme.IndexOf("```", start, StringComparison.Ordinal);
        Assert.Equal(Normalize(File.ReadAllText(ProgramPath)), Normalize(readme[start..end]));
    }

    [Fact]
    public async Task QuickStart_Runs_PrintsTheDemoMetrics_AndWritesModelsAnMLNetAppCanLoad()
    {
        string dll = Path.Combine(RepositoryPaths.Root, "samples", "QuickStart", "bin", "Release", "net10.0", "MlNetStem.QuickStart.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution in Release (scripts/setup.sh does)");
        using var folder = new TempFolder();
        Directory.CreateSymbolicLink(Path.Combine(folder.Path, "data"), Path.Combine(RepositoryPaths.Root, "data"));
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        string output = await stdout, errors = await stderr;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {errors}");

        // The same split, panel and features as `mlnetstem demo`: the README's figures.
        var metrics = ExpressionMetrics.FromJson(output);
        Assert.Equal(179, metrics.SpotCount);
        Assert.Equal(250, metrics.GeneCount);
        Assert.InRange(metrics.MeanPcc, 0.495, 0.505);

        var ml = new MLContext(3);
        var trainer = ml.Model.Load(Path.Combine(folder.Path, "out", "trainer.zip"), out _);
        var archived = ml.SpatialExpression().LoadModel(Path.Combine(folder.Path, "out", "model.zip"), out var schema);
        Assert.NotNull(schema);
        var scored = archived.Transform(ml.Data.LoadHer2st(RepositoryPaths.Her2st("C3")).Data);
        var expected = DataViewMaterializer.Materialize(scored, ["Features", "Score"]);
        var stock = trainer.Transform(expected);
        var fromStock = ml.Data.CreateEnumerable<ScoreRow>(stock, reuseRowObject: false).SelectMany(r => r.Score).ToArray();
        var fromArchive = (float[])expected.GetColumnArray("Score");
        Assert.Equal(fromArchive.Length, fromStock.Length);
        // Real features (54 morphology values): ONNX Runtime's float MatMul vs the in-process sum differ in rounding only.
        double worst = fromArchive.Zip(fromStock).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst < 1e-4, $"max |archive − ml.Model.Load| = {worst}");
        Assert.True(new FileInfo(Path.Combine(folder.Path, "out", "trainer.onnx")).Length > 1000);
    }

    private static string Normalize(string text) =>
        string.Join('\n', text.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd())).Trim();

    private sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }
}
