using System.Diagnostics;
using MlNetStem.Data;
using MlNetStem.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.Reliability.Tests;

/// <summary>
/// Mutated HDF5 inputs (10x .h5, .h5ad) through the CLI, one process per case, killed after a time limit: libhdf5 1.10.8
/// loops forever on a corrupted global heap unless the file is refused first (<c>GlobalHeapCheck</c>), and a native loop
/// cannot be stopped inside a process (it would also hold the binding's lock for every later HDF5 call). A case passes
/// when the CLI exits 0, 1 or 2; a crash (any other exit code, or an unhandled exception) or a hang (killed at the time
/// limit) fails the test.
/// </summary>
public sealed class Hdf5CliFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Cases = 40;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Cli => Path.Combine(RepositoryPaths.Root, "src", "Host", "bin", "Release", "net10.0", "mlnetstem.dll");

    [Fact]
    public void TenxH5_Mutated_CliExitsCleanly()
    {
        string outs = Fixtures.VisiumOuts(_folder.File(Path.Combine("v", "outs")));
        string mtx = Path.Combine(outs, "filtered_feature_bc_matrix");
        var barcodes = File.ReadAllLines(Path.Combine(mtx, "barcodes.tsv"));
        Directory.Delete(mtx, recursive: true);
        string h5 = Path.Combine(outs, "filtered_feature_bc_matrix.h5");
        Fixtures.WriteTenxH5(h5, barcodes);
        Fuzz("10x .h5 (CLI predict)", h5, seed: 9, ["predict", "--input", outs, "--model", Model(), "--output", _folder.File("p.csv")]);
    }

    [Fact]
    public void PredictionH5ad_Mutated_CliExitsCleanly()
    {
        string h5ad = _folder.File("section.h5ad");
        PredictionH5adWriter.Write(Fixtures.Scored(12, 5), h5ad, new PredictionProvenance("fuzz.zip"));
        string image = _folder.File("image.png");
        Fixtures.WritePng(image, 200, 150);
        Fuzz("prediction .h5ad (CLI predict)", h5ad, seed: 3,
            ["predict", "--input", h5ad, "--image", image, "--mpp", "1", "--model", Model(), "--output", _folder.File("p.csv")]);
    }

    private void Fuzz(string family, string path, int seed, string[] args)
    {
        var original = File.ReadAllBytes(path);
        Assert.Contains(Run(args).Code, new[] { 0, 1 });   // the unmutated input runs through the CLI
        var random = new Random(seed);
        var bugs = new List<string>();
        int clean = 0, hangs = 0;
        for (int i = 0; i < Cases; i++)
        {
            var (bytes, description) = Mutator.Mutate(original, random);
            File.WriteAllBytes(path, bytes);
            var (code, error, killed) = Run(args);
            if (killed) { hangs++; bugs.Add($"{family} case {i} ({description}): killed after {Limit.TotalSeconds:0} s (hang)"); }
            else if (code is 0 or 1 or 2 && !error.Contains("Unhandled exception", StringComparison.Ordinal)) clean++;
            else bugs.Add($"{family} case {i} ({description}): exit {code}: {error.ReplaceLineEndings(" ")}");
        }
        output.WriteLine($"{family}: {Cases} cases (seed {seed}): {clean} clean exits (0/1/2), {bugs.Count - hangs} crashes, {hangs} hangs");
        Assert.True(bugs.Count == 0, string.Join("\n", bugs));
    }

    private string? _model;

    private string Model()
    {
        if (_model is not null) return _model;
        _model = _folder.File("model.zip");
        var (code, error, _) = Run(["train", "--input", RepositoryPaths.Her2st("C2"), "--model", _model, "--genes", "10", "--patch-px", "32"]);
        Assert.True(code == 0, error);
        return _model;
    }

    private static (int Code, string Error, bool Killed) Run(string[] args)
    {
        Assert.True(File.Exists(Cli), $"{Cli} is missing: build the solution in Release (scripts/setup.sh does)");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        bool killed = !process.WaitForExit(Limit);
        if (killed)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        _ = stdout.Result;
        return (killed ? -1 : process.ExitCode, stderr.Result, killed);
    }
}
