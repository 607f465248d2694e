using System.Diagnostics;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

[Collection(Hdf5FileTests.Name)]
public class CliTests
{
    /// <summary>Runs the built mlnetstem CLI with <paramref name="args"/>; shared with other CLI-level tests.</summary>
    internal static (int Code, string Out, string Err) Run(params string[] args) =>
        ChildProcess.RunDotnet(Path.Combine(AppContext.BaseDirectory, "mlnetstem.dll"), args);

    [Theory]
    [InlineData("demo")]
    [InlineData("train")]
    [InlineData("predict")]
    [InlineData("evaluate")]
    [InlineData("benchmark")]
    [InlineData("inspect")]
    [InlineData("export")]
    [InlineData("report")]
    [InlineData("featurize")]
    [InlineData("map")]
    [InlineData("nuclei")]
    public void EveryCommand_HasHelp(string command)
    {
        var (code, output, _) = Run(command, "--help");
        Assert.Equal(0, code);
        Assert.Contains($"usage: mlnetstem {command}", output);
        // Every option the command accepts is listed in its help.
        var options = command switch
        {
            "demo" => new Host.Commands.DemoCommand().Options,
            "train" => new Host.Commands.TrainCommand().Options,
            "predict" => new Host.Commands.PredictCommand().Options,
            "evaluate" => new Host.Commands.EvaluateCommand().Options,
            "benchmark" => new Host.Commands.BenchmarkCommand().Options,
            "inspect" => new Host.Commands.InspectCommand().Options,
            "export" => new Host.Commands.ExportCommand().Options,
            "report" => new Host.Commands.ReportCommand().Options,
            "featurize" => new Host.Commands.FeaturizeCommand().Options,
            "map" => new Host.Commands.MapCommand().Options,
            "nuclei" => new Host.Commands.NucleiCommand().Options,
            _ => throw new ArgumentException(command),
        };
        Assert.All(options, o => Assert.Contains($"--{o.Name}", output));
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
        Assert.Contains("ridge: 54 features → 30 genes", train.Out);
        var predict = Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("p.csv"));
        Assert.True(predict.Code == 0, predict.Err);
        var lines = File.ReadAllLines(folder.File("p.csv"));
        var header = lines[0].Split(',');
        Assert.Equal(["Barcode", "PixelX", "PixelY"], header[..3]);
        Assert.Equal(30, header.Length - 3);
        Assert.Equal(1 + 180, lines.Length);   // every C3 spot: predict keeps spots without panel counts (training and evaluation drop them)
        var values = lines.Skip(1).SelectMany(l => l.Split(',').Skip(3))
            .Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.All(values, v => Assert.True(double.IsFinite(v)));
        Assert.InRange(values.Average(), 0.5, 8);   // log2(x+1) expression of well-expressed genes, not zeros or raw counts

        var evaluate = Run("evaluate", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("m.json"));
        Assert.True(evaluate.Code == 0, evaluate.Err);
        double meanPcc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(folder.File("m.json"))).RootElement.GetProperty("MeanPcc").GetDouble();
        // Deterministic (ridge on morphology features): 0.5635 on this panel; the table prints the same number.
        Assert.InRange(meanPcc, 0.5615, 0.5655);
        Assert.Matches($@"mean PCC\s+{meanPcc.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)}", evaluate.Out);
    }

    [Fact]
    public void Predict_FeaturesOutput_WritesOneRowPerPredictedSpot_WithBarcodeAndDFiniteFeatures()
    {
        using var folder = new TempFolder();
        string model = folder.File("r.zip");
        var train = Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--genes", "5", "--patch-px", "32");
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("--features-output", Run("predict", "--help").Out);
        var predict = Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("p.csv"),
            "--features-output", folder.File("sub/f.csv"));
        Assert.True(predict.Code == 0, predict.Err);
        var predictions = File.ReadAllLines(folder.File("p.csv")).Where(l => l.Length > 0).ToArray();
        var features = File.ReadAllLines(folder.File("sub/f.csv")).Where(l => l.Length > 0).ToArray();
        var header = features[0].Split(',');
        int d = header.Length - 1;
        Assert.True(d > 10, $"only {d} features");
        Assert.Equal(["Barcode", .. Enumerable.Range(0, d).Select(j => $"f{j}")], header);
        Assert.Contains($"× {d} features", predict.Out);
        // One row per predicted spot, in the same order; every value finite, written in the invariant culture.
        Assert.Equal(predictions.Length, features.Length);
        for (int r = 1; r < features.Length; r++)
        {
            var cells = features[r].Split(',');
            Assert.Equal(d + 1, cells.Length);
            Assert.Equal(predictions[r].Split(',')[0], cells[0]);
            foreach (var cell in cells.Skip(1))
                Assert.True(float.TryParse(cell, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float v)
                    && float.IsFinite(v), $"row {r}: '{cell}'");
        }
        Assert.Empty(Directory.GetFiles(folder.File("sub"), "*.tmp", SearchOption.AllDirectories));

        var wrongExtension = Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("p2.csv"),
            "--features-output", folder.File("f.txt"));
        Assert.Equal(2, wrongExtension.Code);
        Assert.Contains("--features-output", wrongExtension.Err);
        Assert.False(File.Exists(folder.File("f.txt")));
        // A path that cannot be written (its folder is a file): exit 1 with a one-line reason.
        var unwritable = Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("p3.csv"),
            "--features-output", Path.Combine(folder.File("p.csv"), "f.csv"));
        Assert.Equal(1, unwritable.Code);
        Assert.Single(unwritable.Err.Trim().Split('\n'), l => l.Contains("error"));
        Assert.Contains("mlnetstem predict: error:", unwritable.Err);
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
        // 3 ids, 10 genes, then per gene its std and the bounds of the 80% and 90% intervals.
        Assert.Equal(3 + 10 * 6, File.ReadLines(folder.File("p.csv")).First().Split(',').Length);
        var evaluate = Run("evaluate", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--steps", "3", "--draws", "4");
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Contains("coverage 80%", evaluate.Out);
        var export = Run("export", "--model", model, "--onnx", folder.File("stem.onnx"), "--steps", "3", "--draws", "2");
        Assert.True(export.Code == 0, export.Err);
        using var session = MlNetStem.Onnx.OnnxSession.Load(folder.File("stem.onnx"));
        Assert.Equal("features", Assert.Single(session.Inputs).Name);
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

        // The exported file, run by ONNX Runtime on the features predict wrote, gives predict's values.
        var predict = Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("p.csv"),
            "--features-output", folder.File("f.csv"));
        Assert.True(predict.Code == 0, predict.Err);
        var (_, features) = ReadCsv(folder.File("f.csv"));
        var (_, predictions) = ReadCsv(folder.File("p.csv"));
        int d = features[0].Length - 1;
        var x = features.SelectMany(r => r.Skip(1).Select(v => (float)v)).ToArray();
        using var session = MlNetStem.Onnx.OnnxSession.Load(folder.File("r.onnx"));
        var y = session.Run(new Dictionary<string, MlNetStem.Onnx.OnnxTensor>
        {
            [Trainers.Ridge.RidgeTransformer.OnnxInputName] = MlNetStem.Onnx.OnnxTensor.Create(x, features.Length, d),
        })[Trainers.Ridge.RidgeTransformer.OnnxOutputName].GetData<float>();
        Assert.Equal(predictions.Length * 5, y.Length);
        for (int r = 0; r < predictions.Length; r++)
            for (int g = 0; g < 5; g++)
                Assert.True(Math.Abs(predictions[r][g + 3] - y[r * 5 + g]) <= 1e-4 * Math.Max(1, Math.Abs(y[r * 5 + g])),
                    $"spot {r}, gene {g}: predict {predictions[r][g + 3]} vs exported ONNX {y[r * 5 + g]}");
    }

    [Fact]
    public void StemWithRidgePrior_Trains_AndPreserveVariancePredictsAndEvaluates()
    {
        using var folder = new TempFolder();
        string model = folder.File("stem.zip");
        var train = Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--trainer", "stem", "--prior", "ridge",
            "--epochs", "2", "--genes", "10", "--patch-px", "64");
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("Stem diffusion (ResidualMlp", train.Out);
        Assert.Contains("ridge mean prior", train.Out);
        string[] sampling = ["--steps", "5", "--draws", "4"];
        var mean = Run(["predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("mean.csv"), .. sampling]);
        Assert.True(mean.Code == 0, mean.Err);
        var preserved = Run(["predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("pv.csv"),
            "--point-estimate", "preserve-variance", .. sampling]);
        Assert.True(preserved.Code == 0, preserved.Err);
        Assert.Contains("preserve-variance", preserved.Out);
        // Same genes and spots; every gene's variance over the section is at least that of the mean (PreserveVariance
        // only stretches), and strictly more for some.
        var (meanHeader, meanValues) = ReadCsv(folder.File("mean.csv"));
        var (pvHeader, pvValues) = ReadCsv(folder.File("pv.csv"));
        // Ids, the 10 genes, then std and interval columns per gene; the preserved estimate also keeps the plain mean.
        var genes = meanHeader[3..13];
        string[] Columns(params string[] suffixes) => [.. suffixes.SelectMany(x => genes.Select(g => $"{g}_{x}"))];
        Assert.Equal([.. meanHeader[..13], .. Columns("std", "lower80", "upper80", "lower90", "upper90")], meanHeader);
        Assert.Equal([.. meanHeader[..13], .. Columns("std", "mean", "lower80", "upper80", "lower90", "upper90")], pvHeader);
        Assert.Equal(meanValues.Length, pvValues.Length);
        // The kept plain mean is the mean run's prediction (same model, sampling and seed).
        for (int r = 0; r < pvValues.Length; r++)
            for (int g = 0; g < 10; g++)
                Assert.Equal(meanValues[r][3 + g], pvValues[r][13 + 10 + g], 5);
        bool stretched = false;
        for (int g = 3; g < 13; g++)
        {
            double vMean = Variance(meanValues.Select(r => r[g])), vPv = Variance(pvValues.Select(r => r[g]));
            Assert.True(vPv >= vMean * (1 - 1e-4) - 1e-9, $"{pvHeader[g]}: variance {vPv} < {vMean}");
            stretched |= vPv > vMean * 1.001;
        }
        Assert.True(stretched, "preserve-variance changed no gene's variance");
        var h5ad = Run(["predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("pv.h5ad"),
            "--point-estimate", "preserve-variance", .. sampling]);
        Assert.True(h5ad.Code == 0, h5ad.Err);
        // Read back: X is what the CSV holds for the same model, sampling and point estimate; std and the interval
        // layers come with it, the interval ordered around nothing narrower than zero width.
        var file = MlNetStem.AnnData.H5adReader.ReadFile(folder.File("pv.h5ad"));
        Assert.Equal(pvValues.Length, file.ObsCount);
        Assert.Equal(pvHeader[3..13], file.Var.Index);
        for (int r = 0; r < pvValues.Length; r++)
            for (int g = 0; g < 10; g++)
                Assert.True(Math.Abs(pvValues[r][g + 3] - file.X![r, g]) <= 1e-5 * Math.Max(1, Math.Abs(pvValues[r][g + 3])),
                    $"spot {r}, gene {g}: CSV {pvValues[r][g + 3]} vs .h5ad {file.X[r, g]}");   // the CSV keeps 6 significant digits
        Assert.Contains("std", file.Layers.Keys);
        Assert.Contains("lower", file.Layers.Keys);
        Assert.Contains("upper", file.Layers.Keys);
        Assert.Contains("mean", file.Layers.Keys);   // ScoreMean: the plain mean of the draws, kept next to the preserved estimate
        for (int r = 0; r < file.ObsCount; r++)
            for (int g = 0; g < 10; g++)
            {
                Assert.True(file.Layers["std"][r, g] >= 0);
                Assert.True(file.Layers["lower"][r, g] <= file.Layers["upper"][r, g]);
            }
        var evaluate = Run(["evaluate", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("m.json"),
            "--point-estimate", "preserve-variance", .. sampling]);
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Contains("stem.zip (preserve-variance)", evaluate.Out);
        Assert.Contains("mean PCC", evaluate.Out);
        Assert.Contains("\"MeanPcc\"", File.ReadAllText(folder.File("m.json")));
        var unknown = Run(["predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--point-estimate", "median"]);
        Assert.Equal(2, unknown.Code);
        Assert.Contains("preserve-variance", unknown.Err);
    }

    [Fact]
    public void PriorAndPreserveVariance_WithRidge_AreUsageErrors()
    {
        using var folder = new TempFolder();
        var prior = Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", folder.File("x.zip"), "--trainer", "ridge", "--prior", "ridge");
        Assert.Equal(2, prior.Code);
        Assert.Contains("--prior", prior.Err);
        Assert.False(File.Exists(folder.File("x.zip")));
        var unknownPrior = Run("train", "--input", RepositoryPaths.Her2st("C2"), "--trainer", "stem", "--prior", "lasso");
        Assert.Equal(2, unknownPrior.Code);
        Assert.Contains("ridge", unknownPrior.Err);
        var demo = Run("demo", "--trainer", "ridge,mlp", "--point-estimate", "preserve-variance", "--output", folder.File("demo"));
        Assert.Equal(2, demo.Code);
        Assert.Contains("--point-estimate", demo.Err);

        string model = folder.File("r.zip");
        Assert.Equal(0, Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--genes", "5", "--patch-px", "32").Code);
        foreach (string command in (string[])["predict", "evaluate"])
        {
            var (code, _, err) = Run(command, "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File(command == "predict" ? "p.csv" : "m.json"),
                "--point-estimate", "preserve-variance");
            Assert.Equal(2, code);
            Assert.Contains("--point-estimate preserve-variance", err);
        }
        Assert.False(File.Exists(folder.File("p.csv")));
    }

    [Fact]
    public void Demo_StemDitAndRidge_WithPreserveVariance_LabelsRowsAndNotesTheRegressor()
    {
        using var folder = new TempFolder();
        var (code, output, err) = Run("demo", "--trainer", "stem-dit,ridge", "--point-estimate", "preserve-variance", "--output", folder.File("demo"),
            "--epochs", "2", "--genes", "10", "--patch-px", "64", "--steps", "5", "--draws", "4");
        Assert.True(code == 0, err);
        Assert.Contains("Stem diffusion (Dit", err);
        Assert.Contains("stem-dit (preserve-variance)", output);
        Assert.Contains("note: --point-estimate preserve-variance applies to diffusion (stem) trainers only; ridge", output);
        Assert.Equal(10 + 3, File.ReadLines(Path.Combine(folder.File("demo"), "predictions-stem-dit.csv")).First().Split(',').Length);
        Assert.True(File.Exists(Path.Combine(folder.File("demo"), "predictions-ridge.csv")));
    }

    [Fact]
    public void BadOutputPaths_AreRefusedBeforeAnyWork_WithOneLineNamingTheOption()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("file"), "x");
        Directory.CreateDirectory(folder.File("dir.csv"));
        // The model does not exist: the output is checked first, so its error is the one reported.
        string missingModel = folder.File("none.zip");
        string c3 = RepositoryPaths.Her2st("C3"), c2 = RepositoryPaths.Her2st("C2");
        var cases = new (string[] Args, string Expected)[]
        {
            (["predict", "--input", c3, "--model", missingModel, "--output", Path.Combine(folder.File("file"), "p.csv")], "--output '" + Path.Combine(folder.File("file"), "p.csv") + "': its parent '" + folder.File("file") + "' is a file, not a directory"),
            (["predict", "--input", c3, "--model", missingModel, "--output", folder.File("dir.csv")], "is a directory"),
            (["predict", "--input", c3, "--model", missingModel, "--output", "/proc/p.csv"], "--output '/proc/p.csv': cannot write in '/proc'"),
            (["predict", "--input", c3, "--model", missingModel, "--output", folder.File("ok.csv"), "--features-output", Path.Combine(folder.File("file"), "a", "f.csv")], "--features-output"),
            (["evaluate", "--input", c3, "--model", missingModel, "--output", Path.Combine(folder.File("file"), "m.json")], "--output"),
            (["export", "--model", missingModel, "--onnx", "/proc/m.onnx"], "--onnx '/proc/m.onnx'"),
            (["train", "--input", c2, "--model", Path.Combine(folder.File("file"), "m.zip")], "--model"),
            (["train", "--input", c2, "--model", folder.File("m.zip"), "--trainer", "stem", "--checkpoint", folder.File("file")], "--checkpoint '" + folder.File("file") + "': is a file"),
            (["demo", "--output", folder.File("file")], "--output '" + folder.File("file") + "': is a file, not a directory"),
        };
        foreach (var (args, expected) in cases)
        {
            var clock = Stopwatch.StartNew();
            var (code, _, err) = Run(args);
            Assert.True(code == 1, $"{string.Join(' ', args)}: exit {code}: {err}");
            Assert.Contains(expected, err);
            Assert.Contains(": error: --", err);
            Assert.Single(err.Trim().Split('\n'));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{args[0]}: the check came late ({clock.Elapsed})");
        }
        Assert.False(File.Exists(folder.File("m.zip")));
    }

    [Fact]
    public void Draws_AreCappedAtParsing_AndTheBatchMemoryIsCheckedBeforePredicting()
    {
        using var folder = new TempFolder();
        foreach (string draws in (string[])["100000000", "1000000", "10001"])
        {
            var (code, _, err) = Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", folder.File("none.zip"), "--draws", draws);
            Assert.Equal(2, code);
            Assert.Equal($"mlnetstem predict: '--draws {draws}': at most 10,000 draws per spot", err.Trim());
        }
        string model = folder.File("stem.zip");
        var train = Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", model, "--trainer", "stem", "--epochs", "1", "--genes", "10", "--patch-px", "32");
        Assert.True(train.Code == 0, train.Err);
        var tooMany = Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--output", folder.File("p.csv"), "--draws", "10000");
        Assert.Equal(2, tooMany.Code);
        Assert.Single(tooMany.Err.Trim().Split('\n'));
        Assert.Contains("--draws 10000: a prediction batch", tooMany.Err);
        Assert.Contains("more than the --sampling-memory limit of 1,024 MiB", tooMany.Err);
        Assert.False(File.Exists(folder.File("p.csv")));
        var evaluate = Run("evaluate", "--input", RepositoryPaths.Her2st("C3"), "--model", model, "--draws", "10000", "--sampling-memory", "64");
        Assert.Equal(2, evaluate.Code);
        Assert.Contains("--sampling-memory limit of 64 MiB", evaluate.Err);
    }

    [Fact]
    public void Train_Checkpoint_KilledThenRerun_ResumesAndGivesTheSameModelAsAnUninterruptedRun()
    {
        using var folder = new TempFolder();
        string checkpoints = folder.File("ck");
        string[] train = ["train", "--input", RepositoryPaths.Her2st("C2"), "--trainer", "stem", "--epochs", "60", "--genes", "8", "--patch-px", "32"];
        Assert.Contains("--checkpoint DIR", Run("train", "--help").Out);
        // Kill -9 once the first checkpoints are on disk, before training ends.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mlnetstem.dll"));
        foreach (var a in (string[])[.. train, "--model", folder.File("resumed.zip"), "--checkpoint", checkpoints, "--checkpoint-every", "2"]) start.ArgumentList.Add(a);
        using (var process = Process.Start(start)!)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (!(Directory.Exists(checkpoints) && Directory.GetFiles(checkpoints, "*.ckpt").Length > 0) && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120))
                Thread.Sleep(20);
            Assert.False(process.HasExited, "training ended before a checkpoint could be interrupted");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        Assert.False(File.Exists(folder.File("resumed.zip")));
        var resumed = Run([.. train, "--model", folder.File("resumed.zip"), "--checkpoint", checkpoints, "--checkpoint-every", "2"]);
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Matches(@"resumed from the checkpoint of epoch \d+", resumed.Out);
        var straight = Run([.. train, "--model", folder.File("straight.zip")]);
        Assert.True(straight.Code == 0, straight.Err);
        foreach (string name in (string[])["resumed", "straight"])
        {
            var predict = Run("predict", "--input", RepositoryPaths.Her2st("C3"), "--model", folder.File(name + ".zip"), "--output", folder.File(name + ".csv"),
                "--steps", "5", "--draws", "4");
            Assert.True(predict.Code == 0, predict.Err);
        }
        // Bit-identical predictions: the same weights (the library's resume is exact) and the same sampling noise.
        Assert.Equal(File.ReadAllText(folder.File("straight.csv")), File.ReadAllText(folder.File("resumed.csv")));
        var ridge = Run("train", "--input", RepositoryPaths.Her2st("C2"), "--model", folder.File("r.zip"), "--checkpoint", checkpoints);
        Assert.Equal(2, ridge.Code);
        Assert.Contains("--checkpoint applies to diffusion (stem) trainers only", ridge.Err);
    }

    private static (string[] Header, double[][] Rows) ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Where(l => l.Length > 0)
            .Select(l => l.Split(',').Select(v => double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d) ? d : double.NaN).ToArray())
            .ToArray();
        return (header, rows);
    }

    private static double Variance(IEnumerable<double> values)
    {
        var v = values.ToArray();
        double mean = v.Average();
        return v.Sum(x => (x - mean) * (x - mean)) / v.Length;
    }

    [Fact]
    public void Threads_CapsEveryCommand_WithoutChangingResults_AndRefusesANonNumber()
    {
        using var folder = new TempFolder();
        string[] train = ["train", "--input", RepositoryPaths.Her2st("C2"), "--genes", "10", "--patch-px", "32"];
        Assert.Equal(0, Run([.. train, "--model", folder.File("all.zip")]).Code);
        Assert.Equal(0, Run([.. train, "--threads", "1", "--model", folder.File("one.zip")]).Code);
        string[] predict = ["predict", "--input", RepositoryPaths.Her2st("C3")];
        Assert.Equal(0, Run([.. predict, "--model", folder.File("all.zip"), "--output", folder.File("all.csv")]).Code);
        Assert.Equal(0, Run([.. predict, "--model", folder.File("one.zip"), "--output", folder.File("one.csv"), "--threads=1"]).Code);
        Assert.Equal(File.ReadAllText(folder.File("all.csv")), File.ReadAllText(folder.File("one.csv")));

        var bad = Run([.. train, "--model", folder.File("x.zip"), "--threads", "many"]);
        Assert.Equal(2, bad.Code);
        Assert.Contains("'--threads many': give a whole number of threads, 1–1024", bad.Err);
        Assert.Contains("--threads N", Run("train", "--help").Out);
    }
}
