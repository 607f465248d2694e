// Stem diffusion benchmarks. Usage:
//   dotnet run -c Release --project bench/StemBench -- throughput [--steps N] [--threads T] [--workers 1,2]
//   dotnet run -c Release --project bench/StemBench -- samplers [--genes 50] [--epochs E] [--dit]
//   dotnet run -c Release --project bench/StemBench -- quality [--genes 50] [--epochs E] [--dit-epochs 400] [--seeds 5] [--agreement [--full-ddpm-spots N (DiT, default 30)]]
//   dotnet run -c Release --project bench/StemBench -- prior [--genes 50] [--epochs E] [--draws 20] [--dit]
//   dotnet run -c Release --project bench/StemBench -- sweep --validate [--prior|--residual|--blocks] [--genes N] [--seeds S] [--swap]
//   dotnet run -c Release --project bench/StemBench -- chunks [--genes 250] [--chunk 50] [--seeds 2] | shrink [--genes 250] [--seeds 3]
// --swap trains on C3 and tests on C2.
// See README.md for what each measures and the recorded numbers.
using System.Diagnostics;
using System.Globalization;
using MlNetStem;
using MlNetStem.Data;
using MlNetStem.Evaluation;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;
using MlNetStem.Torch.Optim;
using MlNetStem.Trainers;
using MlNetStem.Trainers.Diffusion;
using MlNetStem.Transforms;
using MlNetStem.Transforms.Expression;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string mode = args.Length > 0 ? args[0] : "throughput";
int Arg(string name, int fallback)
{
    int i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

int[] ArgList(string name, int[] fallback)
{
    int i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1].Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray() : fallback;
}

switch (mode)
{
    case "throughput":
        Throughput(Arg("steps", 20), Arg("threads", 1), ArgList("workers", [1, 2]));
        break;
    case "quality":
        Quality(Arg("genes", 50), Arg("epochs", StemDiffusionOptions.Cpu.Epochs), Arg("dit-epochs", 400), Arg("seeds", 5), Arg("full-ddpm-spots", 30), args.Contains("--agreement"));
        break;
    case "prior":
        PriorStudy(Arg("genes", 50), Arg("epochs", StemDiffusionOptions.Cpu.Epochs), Arg("draws", 20), args.Contains("--dit"), args.Contains("--fast"));
        break;
    case "ensemble":
        EnsembleStudy(Arg("genes", 50), Arg("members", 5), Arg("seeds", 3));
        break;
    case "sweep":
        Sweep(Arg("genes", 50), Arg("seeds", 4), args.Contains("--validate"), args.Contains("--prior"), args.Contains("--residual"), args.Contains("--blocks"));
        break;
    case "shrink":
        ShrinkStudy(Arg("genes", 250), Arg("seeds", 3));
        break;
    case "chunks":
        ChunkStudy(Arg("genes", 250), Arg("chunk", 50), Arg("seeds", 2));
        break;
    case "samplers":
        Samplers(Arg("genes", 50), Arg("epochs", StemDiffusionOptions.Cpu.Epochs), args.Contains("--dit"));
        break;
    default:
        Console.Error.WriteLine("usage: StemBench throughput|quality|samplers [options]");
        return 2;
}
return 0;

// (a) Training samples/s of the DiT at the reference configuration of NATIVE-NOTES (random data): one step is
// q_sample + denoiser forward + hybrid loss + backward + AdamW + EMA update, as in the Stem training loop.
static void Throughput(int steps, int threads, int[] workerCounts)
{
    const int genes = 50, condition = 1024, batch = 64;
    TorchThreads.Set(threads);
    Console.WriteLine($"training step: {genes} genes, condition {condition}, batch {batch}, libtorch {TorchThreads.LibTorchVersion}, {threads} thread(s), {Environment.ProcessorCount} cores");
    foreach (var (name, options) in new[]
    {
        ("DiT depth 4, hidden 128, 2 heads", new StemDiffusionOptions(Depth: 4, HiddenSize: 128, Heads: 2)),
        ("residual MLP depth 4, width 512", new StemDiffusionOptions(Denoiser: DenoiserKind.ResidualMlp, Depth: 4, HiddenSize: 128)),
    })
    {
        using var generator = new Generator(1);
        using var model = StemDiffusionEstimator.CreateDenoiser(options, genes, new ConditionLayout(condition, []), generator);
        using var diffusion = new GaussianDiffusion(1000);
        using var optimizer = new AdamW(model.Parameters(), 1e-4, weightDecay: 0);
        using var ema = new ExponentialMovingAverage(model, 0.9999);
        using var x0 = Tensor.RandN([batch, genes], generator);
        using var cond = Tensor.RandN([batch, condition], generator);
        var parameters = model.Parameters().ToArray();
        // The estimator's step: shards of the batch differentiated on `workers` threads, gradients summed in order.
        void Step(int workers)
        {
            using var scope = Tensor.NewScope();
            optimizer.ZeroGrad();
            var t = Tensor.RandInt(0, 1000, [batch], generator);
            var noise = Tensor.RandN([batch, genes], generator);
            var shards = ShardedGradient.Split(batch, workers);
            ShardedGradient.Backward(parameters, shards.Length, k =>
            {
                var (start, length) = shards[k];
                var loss = diffusion.TrainingLoss((IDenoiser)model, x0.Narrow(0, start, length), cond.Narrow(0, start, length),
                    t.Narrow(0, start, length), noise.Narrow(0, start, length));
                return loss * ((double)length / batch);
            });
            optimizer.Step();
            ema.Update();
        }
        // Worker counts alternate step by step so machine-load drift hits them equally.
        var times = workerCounts.ToDictionary(w => w, _ => new List<double>());
        for (int i = 0; i < 3; i++)
            foreach (var w in workerCounts) Step(w);
        for (int i = 0; i < steps; i++)
            foreach (var w in workerCounts)
            {
                var clock = Stopwatch.StartNew();
                Step(w);
                times[w].Add(clock.Elapsed.TotalMilliseconds);
            }
        foreach (var w in workerCounts)
        {
            var sorted = times[w].Order().ToList();
            double median = sorted[sorted.Count / 2], best = sorted[0];
            Console.WriteLine($"{name,-34} {model.ParameterCount,10:N0} params, {w} worker(s): median {median,7:0.0} ms/step = {batch * 1000 / median,6:0} samples/s " +
                $"(best {batch * 1000 / best:0}); compare with the PyTorch reference side by side: bench/StemBench/compare.sh");
        }
    }
}

// (b) + (c): train on C2, test on C3 with morphology features; ridge, MLP, Stem-DiT, Stem residual MLP in one table,
// then the fast sampler's timing for 300 spots × 20 draws and its agreement with full 1000-step DDPM.
// --swap trains on C3 and tests on C2 (every mode; with --validate the validation split is then C3's).
static (MLContext Ml, InMemoryDataView Train, InMemoryDataView Test) LoadSample(int panel)
{
    bool swap = Environment.GetCommandLineArgs().Contains("--swap");
    string root = AppContext.BaseDirectory;
    while (!File.Exists(Path.Combine(root, "MlNetStem.sln"))) root = Path.GetDirectoryName(root)!;
    var ml = new MLContext(1);
    ml.SpatialExpression().Seed = 1;
    var clock = Stopwatch.StartNew();
    var trainSpots = Her2stLoader.Load(Path.Combine(root, swap ? "data/her2st/C3" : "data/her2st/C2")).Data;
    var testSpots = Her2stLoader.Load(Path.Combine(root, swap ? "data/her2st/C2" : "data/her2st/C3")).Data;
    // The preprocessing of src/Host/StandardPipeline.cs (morphology featurizer); only the trainer is swapped.
    var features = ml.Transforms.SelectGenes("Expression", "Counts", panel, GeneRanking.ExpressedThenVariable, missingGenes: MissingGenePolicy.Zero)
        .Append(ml.Transforms.LogNormalize("Expression"))
        .Append(ml.Transforms.DropEmptySpots("Expression"))
        .Append(ml.Transforms.LoadPatches("Patch", "Image", 112, 224))
        .Append(ml.Transforms.FeaturizeMorphology("Features", "Patch"))
        .Fit(trainSpots);
    var train = DataViewMaterializer.Materialize(features.Transform(trainSpots), ["Expression", "Features", SpotColumns.ArrayX]);
    var test = DataViewMaterializer.Materialize(features.Transform(testSpots), ["Expression", "Features", SpotColumns.ArrayX]);
    int d = train.Schema.Get("Features").Type.Size;
    Console.WriteLine($"HER2ST {(swap ? "C3 → C2" : "C2 → C3")}: {train.Rows} train / {test.Rows} test spots, {panel} genes (log2(x+1), expressed-then-variable), " +
        $"{d} morphology features; featurized in {clock.Elapsed.TotalSeconds:0.0} s");
    return (ml, train, test);
}

// Every sampler against the others on C3 with one trained model: which fast setting matches 1000-step DDPM?
static void Samplers(int panel, int epochs, bool dit)
{
    var (ml, train, test) = LoadSample(panel);
    var clock = Stopwatch.StartNew();
    var model = ml.SpatialExpression().Trainers.StemDiffusion(options: StemDiffusionOptions.Cpu with
    {
        Denoiser = dit ? DenoiserKind.Dit : DenoiserKind.ResidualMlp, Epochs = epochs, Seed = 1,
    }).Fit(train);
    Console.WriteLine($"{(dit ? "DiT" : "residual MLP")} trained in {clock.Elapsed.TotalSeconds:0.0} s; 20 draws per spot");
    Console.WriteLine("| sampler | steps | η | mean PCC | MSE | RVD | cov80 | cov90 | seconds |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
    foreach (var (sampler, steps, eta) in new (DiffusionSampler, int?, double)[]
    {
        (DiffusionSampler.DpmSolver2M, 10, 0), (DiffusionSampler.DpmSolver2M, 20, 0), (DiffusionSampler.Ddim, 20, 0), (DiffusionSampler.Ddim, 20, 1),
        (DiffusionSampler.Ddim, 50, 1), (DiffusionSampler.RespacedDdpm, 20, 0), (DiffusionSampler.RespacedDdpm, 50, 0),
        (DiffusionSampler.RespacedDdpm, 100, 0), (DiffusionSampler.Ddpm, null, 0),
    })
    {
        using var sampled = model.WithSampling(o => o with { Sampler = sampler, Steps = steps, Eta = eta, Draws = 20 });
        var c = Stopwatch.StartNew();
        var scored = DataViewMaterializer.Materialize(sampled.Transform(test), ["Expression", "Score", "ScoreLower80", "ScoreUpper80", "ScoreLower90", "ScoreUpper90"]);
        double seconds = c.Elapsed.TotalSeconds;
        var m = ml.SpatialExpression().Evaluate(scored, "Expression", "Score");
        Console.WriteLine($"| {sampler} | {sampled.Options.EffectiveSteps} | {eta} | {m.MeanPcc:0.000} | {m.Mse:0.000} | {m.Rvd:0.000} | " +
            $"{IntervalCoverage.Compute(scored, "Expression", "ScoreLower80", "ScoreUpper80"):0.000} | " +
            $"{IntervalCoverage.Compute(scored, "Expression", "ScoreLower90", "ScoreUpper90"):0.000} | {seconds:0.0} |");
    }
}

static void PriorStudy(int panel, int epochs, int draws, bool dit, bool fast)
{
    var (ml, train, test) = LoadSample(panel);
    void Report(string name, ITransformer model, double trainSeconds)
    {
        var c = Stopwatch.StartNew();
        bool stem = model is StemDiffusionTransformer;
        var scored = DataViewMaterializer.Materialize(model.Transform(test), stem
            ? ["Expression", "Score", "ScoreStd", "ScoreLower80", "ScoreUpper80", "ScoreLower90", "ScoreUpper90"] : ["Expression", "Score"]);
        double seconds = c.Elapsed.TotalSeconds;
        var m = ml.SpatialExpression().Evaluate(scored, "Expression", "Score");
        string cov = stem ? $"{IntervalCoverage.Compute(scored, "Expression", "ScoreLower80", "ScoreUpper80"):0.000} | {IntervalCoverage.Compute(scored, "Expression", "ScoreLower90", "ScoreUpper90"):0.000}" : "– | –";
        Console.WriteLine($"| {name} | {m.Pcc10:0.000} | {m.MeanPcc:0.000} | {m.Mse:0.000} | {m.Mae:0.000} | {m.Rvd:0.000} | {cov} | {trainSeconds:0.0} | {seconds:0.0} |");
        if (!stem) return;
        var preserved = ml.Transforms.PreserveVariance().Fit(scored).Transform(scored);
        var p = ml.SpatialExpression().Evaluate(preserved, "Expression", "ScorePreserved");
        Console.WriteLine($"| ↳ PreserveVariance | {p.Pcc10:0.000} | {p.MeanPcc:0.000} | {p.Mse:0.000} | {p.Mae:0.000} | {p.Rvd:0.000} | | | | |");
    }
    Console.WriteLine("| model | PCC-10 | mean PCC | MSE | MAE | RVD | cov80 | cov90 | train s | predict s |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
    var clock = Stopwatch.StartNew();
    var ridge = ml.SpatialExpression().Trainers.Ridge().Fit(train);
    Report("ridge", ridge, clock.Elapsed.TotalSeconds);
    // The same trick for ridge, as a fair reference: its test predictions stretched per gene to the training labels' variance.
    var stretched = StretchToTrainingVariance(ridge.Transform(test), train);
    var sm = ml.SpatialExpression().Evaluate(stretched, "Expression", "Score");
    Console.WriteLine($"| ↳ ridge stretched to training variance | {sm.Pcc10:0.000} | {sm.MeanPcc:0.000} | {sm.Mse:0.000} | {sm.Mae:0.000} | {sm.Rvd:0.000} | – | – | | |");
    foreach (var denoiser in dit ? [DenoiserKind.Dit] : new[] { DenoiserKind.ResidualMlp })
        foreach (var prior in new[] { MeanPrior.Ridge, MeanPrior.None })
        {
            clock.Restart();
            var stem = (StemDiffusionTransformer)ml.SpatialExpression().Trainers.StemDiffusion(options: StemDiffusionOptions.Cpu with
            {
                Denoiser = denoiser, MeanPrior = prior, Epochs = epochs, Seed = 1, Draws = draws,
            }).Fit(train);
            double t = clock.Elapsed.TotalSeconds;
            foreach (var (sampler, steps) in new[] { (DiffusionSampler.DpmSolver2M, 10), (DiffusionSampler.RespacedDdpm, 100) })
                foreach (var antithetic in new[] { false, true })
                {
                    if (dit && sampler == DiffusionSampler.RespacedDdpm && (!antithetic || fast)) continue;
                    using var sampled = stem.WithSampling(o => o with { Sampler = sampler, Steps = steps, AntitheticDraws = antithetic });
                    Report($"{denoiser} prior {prior} {sampler} {steps}{(antithetic ? " antithetic" : "")}", sampled, t);
                }
        }
}

// Per gene: prediction mean + (prediction − mean) · sd(training labels) / sd(predictions); uses no test labels.
static InMemoryDataView StretchToTrainingVariance(IDataView scored, IDataView train)
{
    static (double[] Mean, double[] Sd) Moments(float[] values, int g)
    {
        int n = values.Length / g;
        var mean = new double[g];
        var sd = new double[g];
        for (int i = 0; i < values.Length; i++) mean[i % g] += values[i] / (double)n;
        for (int i = 0; i < values.Length; i++) sd[i % g] += Math.Pow(values[i] - mean[i % g], 2) / n;
        return (mean, sd.Select(Math.Sqrt).ToArray());
    }
    var data = DataViewMaterializer.Materialize(scored, ["Expression", "Score"]);
    int g = data.Schema.Get("Score").Type.Size;
    var score = data.ReadBatches(["Score"], 100_000).Single().GetFloats("Score");
    var truth = data.ReadBatches(["Expression"], 100_000).Single().GetFloats("Expression");
    var (pm, ps) = Moments(score, g);
    var (_, ts) = Moments(train.ReadBatches(["Expression"], 100_000).Single().GetFloats("Expression"), g);
    var result = score.Select((v, i) => (float)(pm[i % g] + (v - pm[i % g]) * (ps[i % g] > 1e-9 ? ts[i % g] / ps[i % g] : 1))).ToArray();
    var expression = data.Schema.Get("Expression");
    var scoreColumn = data.Schema.Get("Score");
    return new InMemoryDataView(SchemaExtensions.Create([new DataViewSchema.DetachedColumn(expression.Name, expression.Type, expression.Annotations),
        SchemaColumns.Create("Score", scoreColumn.Type, scoreColumn.SlotNames)]),
        score.Length / g, new Dictionary<string, Array> { ["Expression"] = truth, ["Score"] = result });
}

// Pools the draws of several seeds' models (draws split evenly): does a deep ensemble reduce the seed spread?
static void EnsembleStudy(int panel, int members, int repeats)
{
    var (ml, train, test) = LoadSample(panel);
    var truth = test.ReadBatches(["Expression"], 100_000).Single();
    for (int r = 0; r < repeats; r++)
    {
        float[]? sum = null, sumSquares = null;
        int draws = 20 / members;
        for (int m = 0; m < members; m++)
        {
            int seed = 100 * r + m + 1;
            using var model = (StemDiffusionTransformer)ml.SpatialExpression().Trainers.StemDiffusion(options: StemDiffusionOptions.Cpu with
            {
                Seed = seed, PredictionSeed = seed, Draws = draws,
            }).Fit(train);
            var batch = DataViewMaterializer.Materialize(model.Transform(test), ["Score", "ScoreStd"]).ReadBatches(["Score", "ScoreStd"], 100_000).Single();
            var mean = batch.GetFloats("Score");
            var std = batch.GetFloats("ScoreStd");
            sum ??= new float[mean.Length];
            sumSquares ??= new float[mean.Length];
            for (int i = 0; i < mean.Length; i++)
            {
                sum[i] += mean[i] / members;
                sumSquares[i] += (std[i] * std[i] + mean[i] * mean[i]) / members;
            }
        }
        var pooledStd = sum!.Select((v, i) => (float)Math.Sqrt(Math.Max(0, sumSquares![i] - v * v))).ToArray();
        var expression = test.Schema.Get("Expression");
        var schema = SchemaExtensions.Create([new DataViewSchema.DetachedColumn(expression.Name, expression.Type, expression.Annotations),
            SchemaColumns.Create("Score", expression.Type, expression.SlotNames), SchemaColumns.Create("ScoreStd", expression.Type)]);
        var pooled = new InMemoryDataView(schema, test.Rows, new Dictionary<string, Array>
        {
            ["Expression"] = truth.GetFloats("Expression"), ["Score"] = sum!, ["ScoreStd"] = pooledStd,
        });
        var metrics = ml.SpatialExpression().Evaluate(pooled, "Expression", "Score");
        var preserved = ml.SpatialExpression().Evaluate(ml.Transforms.PreserveVariance().Fit(pooled).Transform(pooled), "Expression", "ScorePreserved");
        Console.WriteLine($"ensemble {r} ({members} members × {draws} draws): mean PCC {metrics.MeanPcc:0.000}, PCC-10 {metrics.Pcc10:0.000}, MSE {metrics.Mse:0.000}, " +
            $"RVD {metrics.Rvd:0.000}, PreserveVariance RVD {preserved.Rvd:0.000}");
    }
}

// Regularization sweep of the CPU preset over seeds: mean PCC and PreserveVariance RVD, mean ± sd.
static void Sweep(int panel, int seeds, bool validate, bool prior, bool residual, bool blocks)
{
    var (ml, train, test) = LoadSample(panel);
    if (validate)
    {
        // Model selection without touching the test section (see ValidationSplit).
        (train, test, int median) = ValidationSplit(train);
        Console.WriteLine($"validation split of the training section: {train.Rows} spots (array x < {median}) → {test.Rows} spots");
    }
    var ridge = ml.SpatialExpression().Evaluate(ml.SpatialExpression().Trainers.Ridge().Fit(train).Transform(test), "Expression", "Score");
    Console.WriteLine($"ridge mean PCC {ridge.MeanPcc:0.000}, RVD {ridge.Rvd:0.000}");
    // --prior: the CPU preset with and without the ridge mean prior (how the preset's rule for large panels was chosen).
    // --residual: variants of the ridge-prior preset (how its residual diffusion was regularized for large panels).
    var withPrior = StemDiffusionOptions.Cpu with { MeanPrior = MeanPrior.Ridge };
    // --blocks: the block size of CpuFor, and blocks centred on the ridge prior.
    var candidates = blocks
        ? new[]
        {
            ("blocks of 50", StemDiffusionOptions.CpuFor(panel)),
            ("blocks of 50, prior", StemDiffusionOptions.CpuFor(panel) with { MeanPrior = MeanPrior.Ridge }),
            ("blocks of 25", StemDiffusionOptions.Cpu with { GeneBlockSize = 25 }),
            ("blocks of 100", StemDiffusionOptions.Cpu with { GeneBlockSize = 100 }),
            ("one denoiser", StemDiffusionOptions.Cpu),
            ("ridge prior", StemDiffusionOptions.Cpu with { MeanPrior = MeanPrior.Ridge }),
        }
        : residual
        ? new[]
        {
            ("ridge prior", withPrior),
            ("prior, 60 draws", withPrior with { Draws = 60 }),
            ("prior, 100 ep", withPrior with { Epochs = 100 }),
            ("prior, wd 10", withPrior with { WeightDecay = 10 }),
            ("prior, lr 1e-4", withPrior with { LearningRate = 1e-4 }),
        }
        : prior
        ? new[] { ("CPU preset, no prior", StemDiffusionOptions.Cpu with { MeanPrior = MeanPrior.None }), ("CPU preset, ridge prior", StemDiffusionOptions.Cpu with { MeanPrior = MeanPrior.Ridge }) }
        : new[]
    {
        ("CPU preset", StemDiffusionOptions.Cpu),
        ("weight decay 1", StemDiffusionOptions.Cpu with { WeightDecay = 1 }),
        ("weight decay 3", StemDiffusionOptions.Cpu with { WeightDecay = 3 }),
        ("lr 3e-4, 300 ep", StemDiffusionOptions.Cpu with { LearningRate = 3e-4, Epochs = 300 }),
        ("lr 3e-4, 300 ep, wd 1", StemDiffusionOptions.Cpu with { LearningRate = 3e-4, Epochs = 300, WeightDecay = 1 }),
        ("width 128, wd 1", StemDiffusionOptions.Cpu with { ResidualWidth = 128, WeightDecay = 1 }),
    };
    foreach (var (name, options) in candidates)
    {
        var pcc = new List<double>();
        var rvd = new List<double>();
        for (int seed = 1; seed <= seeds; seed++)
        {
            // Intervals play no part in the mean PCC: no calibration run.
            using var model = (StemDiffusionTransformer)ml.SpatialExpression().Trainers.StemDiffusion(
                options: options with { Seed = seed, PredictionSeed = seed, CalibrationFraction = 0 }).Fit(train);
            var scored = DataViewMaterializer.Materialize(model.Transform(test), ["Expression", "Score", "ScoreStd"]);
            pcc.Add(ml.SpatialExpression().Evaluate(scored, "Expression", "Score").MeanPcc);
            rvd.Add(ml.SpatialExpression().Evaluate(ml.Transforms.PreserveVariance().Fit(scored).Transform(scored), "Expression", "ScorePreserved").Rvd);
        }
        static string Spread(List<double> v)
        {
            double m = v.Average(), sd = Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / Math.Max(1, v.Count - 1));
            return $"{m:0.000} ± {sd:0.000}";
        }
        Console.WriteLine($"{name,-20} mean PCC {Spread(pcc)} [{string.Join(", ", pcc.Select(p => p.ToString("0.000")))}], PreserveVariance RVD {Spread(rvd)}");
    }
}

static void Quality(int panel, int epochs, int ditEpochs, int seeds, int fullSpots, bool agreement)
{
    var (ml, train, test) = LoadSample(panel);
    int d = train.Schema.Get("Features").Type.Size;
    string[] intervalColumns = ["ScoreStd", "ScoreLower80", "ScoreUpper80", "ScoreLower90", "ScoreUpper90"];
    static string F(double? v) => v is { } x ? x.ToString("0.000", CultureInfo.InvariantCulture) : "–";
    void Row(string name, ExpressionMetrics m, double? trainSeconds, double? predictSeconds) =>
        Console.WriteLine($"| {name} | {F(m.Pcc10)} | {F(m.Pcc50)} | {F(m.MeanPcc)} | {F(m.Mse)} | {F(m.Mae)} | {F(m.Rvd)} | {F(m.Coverage80)} | {F(m.Coverage90)} | " +
            $"{(trainSeconds is { } t ? t.ToString("0.0", CultureInfo.InvariantCulture) : "")} | {(predictSeconds is { } p ? p.ToString("0.0", CultureInfo.InvariantCulture) : "")} |");
    // Scores the test section; for diffusion models also the coverage of the intervals and the variance-preserving estimate.
    (ExpressionMetrics Mean, ExpressionMetrics? Preserved, double Seconds) Score(ITransformer model)
    {
        var c = Stopwatch.StartNew();
        bool stem = model is StemDiffusionTransformer;
        var scored = DataViewMaterializer.Materialize(model.Transform(test), stem ? ["Expression", "Score", .. intervalColumns] : ["Expression", "Score"]);
        double seconds = c.Elapsed.TotalSeconds;
        var metrics = ml.SpatialExpression().Evaluate(scored, "Expression", "Score");
        if (!stem) return (metrics, null, seconds);
        metrics = metrics with
        {
            Coverage80 = IntervalCoverage.Compute(scored, "Expression", "ScoreLower80", "ScoreUpper80"),
            Coverage90 = IntervalCoverage.Compute(scored, "Expression", "ScoreLower90", "ScoreUpper90"),
        };
        var preserved = ml.SpatialExpression().Evaluate(ml.Transforms.PreserveVariance().Fit(scored).Transform(scored), "Expression", "ScorePreserved");
        return (metrics, preserved, seconds);
    }
    (T Model, double Seconds) Time<T>(Func<T> fit)
    {
        var c = Stopwatch.StartNew();
        var m = fit();
        return (m, c.Elapsed.TotalSeconds);
    }

    var cpu = StemDiffusionOptions.Cpu with { Epochs = epochs, Seed = 1 };
    Console.WriteLine($"Stem CPU preset: {cpu.Denoiser}, depth {cpu.Depth}, hidden {cpu.HiddenSize}, {cpu.Epochs} epochs, lr {cpu.LearningRate}, weight decay {cpu.WeightDecay}, {cpu.Sampler} {cpu.EffectiveSteps} steps, " +
        $"{cpu.Draws} draws{(cpu.AntitheticDraws ? " (antithetic)" : "")}, {cpu.EffectiveWorkers} workers; seed 1");
    Console.WriteLine();
    Console.WriteLine("| model | PCC-10 | PCC-50 | mean PCC | MSE | MAE | RVD | cov80 | cov90 | train s | predict s |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
    var ridge = Time(() => ml.SpatialExpression().Trainers.Ridge().Fit(train));
    var ridgeScore = Score(ridge.Model);
    Row("ridge (GCV)", ridgeScore.Mean, ridge.Seconds, ridgeScore.Seconds);
    Row("↳ ridge stretched to the training variance (reference)", ml.SpatialExpression().Evaluate(StretchToTrainingVariance(ridge.Model.Transform(test), train), "Expression", "Score"), null, null);
    var mlp = Time(() => ml.SpatialExpression().Trainers.Mlp(hiddenSizes: [256], epochs: 200, seed: 1).Fit(train));
    var mlpScore = Score(mlp.Model);
    Row("MLP 256, 200 ep", mlpScore.Mean, mlp.Seconds, mlpScore.Seconds);

    var fitted = new List<(string Name, StemDiffusionTransformer Model)>();
    foreach (var (name, options) in new[]
    {
        ("Stem residual MLP (CPU preset)", cpu),
        ($"Stem-DiT (CpuDit: depth 2, hidden 64, {ditEpochs} ep)", StemDiffusionOptions.CpuDit with { Epochs = ditEpochs, Seed = 1 }),
        ("Stem residual MLP + ridge mean prior", cpu with { MeanPrior = MeanPrior.Ridge }),
    })
    {
        var fit = Time(() => (StemDiffusionTransformer)ml.SpatialExpression().Trainers.StemDiffusion(options: options).Fit(train));
        fitted.Add((name, fit.Model));
        foreach (var (sampler, steps) in new[] { (DiffusionSampler.RespacedDdpm, 100), (DiffusionSampler.DpmSolver2M, 10) })
        {
            using var sampled = fit.Model.WithSampling(o => o with { Sampler = sampler, Steps = steps });
            var (mean, preserved, seconds) = Score(sampled);
            string sampling = sampler == DiffusionSampler.DpmSolver2M ? "DPM++(2M) 10" : $"respaced DDPM {steps}";
            Row($"{name}, {sampling}", mean, fit.Seconds, seconds);
            // The ODE sampler's draws overstate the spread, so only the ancestral sampler's feeds PreserveVariance.
            if (sampler != DiffusionSampler.DpmSolver2M) Row("↳ PreserveVariance", preserved!, null, null);
        }
    }

    if (seeds > 1)
    {
        Console.WriteLine();
        Console.WriteLine($"Seed spread, Stem residual MLP (CPU preset), seeds 1..{seeds}:");
        var results = new List<(ExpressionMetrics Mean, ExpressionMetrics Preserved)>();
        for (int seed = 1; seed <= seeds; seed++)
        {
            using var model = (StemDiffusionTransformer)ml.SpatialExpression().Trainers.StemDiffusion(options: cpu with { Seed = seed, PredictionSeed = seed }).Fit(train);
            var (mean, preserved, _) = Score(model);
            results.Add((mean, preserved!));
            Console.WriteLine($"  seed {seed}: mean PCC {mean.MeanPcc:0.000}, PCC-10 {mean.Pcc10:0.000}, MSE {mean.Mse:0.000}, RVD {mean.Rvd:0.000}, " +
                $"PreserveVariance RVD {preserved!.Rvd:0.000}, cov80 {mean.Coverage80:0.000}");
        }
        static string Spread(IEnumerable<double> values)
        {
            var v = values.ToArray();
            double m = v.Average(), sd = Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / Math.Max(1, v.Length - 1));
            return $"{m:0.000} ± {sd:0.000}";
        }
        Console.WriteLine($"  mean ± sd: mean PCC {Spread(results.Select(r => r.Mean.MeanPcc))}, PCC-10 {Spread(results.Select(r => r.Mean.Pcc10 ?? double.NaN))}, " +
            $"MSE {Spread(results.Select(r => r.Mean.Mse))}, RVD {Spread(results.Select(r => r.Mean.Rvd))}, PreserveVariance RVD {Spread(results.Select(r => r.Preserved.Rvd))}, " +
            $"cov80 {Spread(results.Select(r => r.Mean.Coverage80 ?? double.NaN))}; ridge mean PCC {ridgeScore.Mean.MeanPcc:0.000}, RVD {ridgeScore.Mean.Rvd:0.000}");
    }

    // (b) Sampling cost: a 300-spot section (C3 features repeated) × 20 draws.
    var c3 = test.ReadBatches(["Features"], 100_000).Single().GetFloats("Features");
    var three = new float[300 * d];
    for (int i = 0; i < three.Length; i++) three[i] = c3[i % c3.Length];
    var spots300 = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Features", ColumnTypes.FloatTensor(d))]), 300,
        new Dictionary<string, Array> { ["Features"] = three });
    Console.WriteLine();
    foreach (var (name, model) in fitted.Take(2))
        foreach (var (sampler, steps) in new[] { (DiffusionSampler.RespacedDdpm, 100), (DiffusionSampler.DpmSolver2M, 10) })
        {
            // 100 DiT steps × 6000 draws take minutes here; the DiT's respaced timing is in the table (179 spots).
            if (model.Options.Denoiser == DenoiserKind.Dit && sampler != DiffusionSampler.DpmSolver2M) continue;
            using var sampled = model.WithSampling(o => o with { Sampler = sampler, Steps = steps });
            var c = Stopwatch.StartNew();
            foreach (var _ in sampled.Transform(spots300).ReadBatches(["Score"], 300)) { }
            Console.WriteLine($"{name,-32} {sampler,-12} {steps,4} steps: 300 spots × {model.Options.Draws} draws in {c.Elapsed.TotalSeconds,6:0.0} s " +
                $"({model.Options.EffectiveWorkers} workers)");
        }

    // (c) Agreement of the fast samplers with the paper's 1000-step ancestral DDPM, same model, same draws: all C3 spots for
    // the residual MLP, the first `fullSpots` for the DiT (1000 DiT steps on every spot take long on 2 cores).
    if (!agreement) return;
    Console.WriteLine();
    foreach (var (name, model, count) in new[] { (fitted[0].Name, fitted[0].Model, test.Rows), (fitted[1].Name, fitted[1].Model, fullSpots) })
    {
        var subset = DataViewMaterializer.Materialize(ml.Data.TakeRows(test, count), ["Expression", "Features"]);
        (ExpressionMetrics Metrics, double Seconds) Run(DiffusionSampler sampler, int? steps)
        {
            using var sampled = model.WithSampling(o => o with { Sampler = sampler, Steps = steps });
            var c = Stopwatch.StartNew();
            var scored = DataViewMaterializer.Materialize(sampled.Transform(subset), ["Expression", "Score", "ScoreLower80", "ScoreUpper80"]);
            double seconds = c.Elapsed.TotalSeconds;
            return (ml.SpatialExpression().Evaluate(scored, "Expression", "Score") with
            {
                Coverage80 = IntervalCoverage.Compute(scored, "Expression", "ScoreLower80", "ScoreUpper80"),
            }, seconds);
        }
        var full = Run(DiffusionSampler.Ddpm, null);
        Console.WriteLine($"{name}, {count} C3 spots × {model.Options.Draws} draws, DDPM 1000 steps: mean PCC {full.Metrics.MeanPcc:0.000}, MSE {full.Metrics.Mse:0.000}, " +
            $"RVD {full.Metrics.Rvd:0.000}, cov80 {full.Metrics.Coverage80:0.000} ({full.Seconds:0.0} s)");
        foreach (var (sampler, steps) in new (DiffusionSampler, int)[] { (DiffusionSampler.RespacedDdpm, 100), (DiffusionSampler.RespacedDdpm, 50), (DiffusionSampler.DpmSolver2M, 10) })
        {
            var quick = Run(sampler, steps);
            Console.WriteLine($"  {sampler} {steps}: mean PCC {quick.Metrics.MeanPcc:0.000} (Δ {Math.Round(quick.Metrics.MeanPcc - full.Metrics.MeanPcc, 3) + 0.0:+0.000;-0.000;0.000}), " +
                $"MSE {quick.Metrics.Mse:0.000}, RVD {quick.Metrics.Rvd:0.000}, cov80 {quick.Metrics.Coverage80:0.000} ({quick.Seconds:0.0} s)");
        }
    }
}

// Shrinking the ridge-prior preset's residual toward the ridge mean: mean PCC of ridge + λ·(stem − ridge) on a
// validation split of C2 and on C3 (diagnostic; the preset's λ is chosen on training rows only).
static void ShrinkStudy(int panel, int seeds)
{
    var (ml, train, test) = LoadSample(panel);
    var (valTrain, valTest, _) = ValidationSplit(train);
    int g = train.Schema["Expression"].Type.Size;
    var names = Enumerable.Range(0, g).Select(j => $"g{j}").ToArray();
    foreach (var (name, tr, te) in new[] { ("validation", (IDataView)valTrain, (IDataView)valTest), ("C2 → C3", train, test) })
    {
        var ridge = ml.SpatialExpression().Trainers.Ridge().Fit(tr).Transform(te).ReadBatches(["Score", "Expression"], 100_000).Single();
        var p = ridge.GetFloats("Score");
        var y = ridge.GetFloats("Expression");
        for (int seed = 1; seed <= seeds; seed++)
        {
            using var model = (StemDiffusionTransformer)ml.SpatialExpression().Trainers.StemDiffusion(
                options: StemDiffusionOptions.CpuFor(g) with { Seed = seed, PredictionSeed = seed, CalibrationFraction = 0 }).Fit(tr);
            var m = model.Transform(te).ReadBatches(["Score"], 100_000).Single().GetFloats("Score");
            var line = new List<string>();
            foreach (double lambda in new[] { 0, 0.25, 0.5, 0.75, 1.0 })
            {
                var blend = p.Select((v, i) => (float)(v + lambda * (m[i] - v))).ToArray();
                line.Add($"λ {lambda:0.00}: {ExpressionEvaluator.Evaluate(y, blend, g, names).MeanPcc:0.0000}");
            }
            Console.WriteLine($"{name}, seed {seed}: {string.Join(", ", line)}");
        }
    }
}

// The plain CPU preset (no prior) on the panel as one model vs one model per chunk of genes (the preset was tuned on
// 50-gene panels): mean PCC over the whole panel on a validation split of C2 and on C3.
static void ChunkStudy(int panel, int chunk, int seeds)
{
    var (ml, train, test) = LoadSample(panel);
    var (valTrain, valTest, _) = ValidationSplit(train);
    int g = train.Schema["Expression"].Type.Size, d = train.Schema["Features"].Type.Size;
    var names = Enumerable.Range(0, g).Select(j => $"g{j}").ToArray();
    InMemoryDataView Slice(InMemoryDataView v, int start, int count)
    {
        var y = (float[])v.GetColumnArray("Expression");
        int n = v.Rows;
        var sub = new float[n * count];
        for (int r = 0; r < n; r++) Array.Copy(y, r * g + start, sub, r * count, count);
        return new InMemoryDataView([new DataViewSchema.DetachedColumn("Expression", new VectorDataViewType(NumberDataViewType.Single, count)),
            new DataViewSchema.DetachedColumn("Features", v.Schema["Features"].Type)], n,
            new Dictionary<string, Array> { ["Expression"] = sub, ["Features"] = v.GetColumnArray("Features") });
    }
    foreach (var (name, tr, te) in new[] { ("validation", valTrain, valTest), ("C2 → C3", train, test) })
    {
        var y = (float[])te.GetColumnArray("Expression");
        var ridge = ml.SpatialExpression().Trainers.Ridge().Fit(tr).Transform(te).ReadBatches(["Score"], 100_000).Single().GetFloats("Score");
        Console.WriteLine($"{name}: ridge {ExpressionEvaluator.Evaluate(y, ridge, g, names).MeanPcc:0.0000}");
        for (int seed = 1; seed <= seeds; seed++)
        {
            var options = StemDiffusionOptions.Cpu with { Seed = seed, PredictionSeed = seed, CalibrationFraction = 0 };
            var chunked = new float[y.Length];
            int n = te.Rows;
            for (int start = 0; start < g; start += chunk)
            {
                int count = Math.Min(chunk, g - start);
                using var model = (StemDiffusionTransformer)ml.SpatialExpression().Trainers.StemDiffusion(options: options).Fit(Slice(tr, start, count));
                var m = model.Transform(Slice(te, start, count)).ReadBatches(["Score"], 100_000).Single().GetFloats("Score");
                for (int r = 0; r < n; r++) Array.Copy(m, r * count, chunked, r * g + start, count);
            }
            var pccs = ExpressionEvaluator.Evaluate(y, chunked, g, names);
            Console.WriteLine($"{name}, seed {seed}: chunks of {chunk}: {pccs.MeanPcc:0.0000}");
        }
    }
}

// Model selection without touching the test section: the training section's spots split by array column into two
// spatial halves (columns below the median train, the rest validate).
static (InMemoryDataView Train, InMemoryDataView Validation, int MedianColumn) ValidationSplit(InMemoryDataView section)
{
    var x = section.ReadBatches([SpotColumns.ArrayX], 100_000).Single().GetInt32s(SpotColumns.ArrayX);
    int median = x.Order().ElementAt(x.Length / 2);
    InMemoryDataView Half(bool right) => DataViewMaterializer.Materialize(new FilteredDataView(section, [SpotColumns.ArrayX],
        b => b.GetInt32s(SpotColumns.ArrayX).Select(v => v >= median == right).ToArray()), ["Expression", "Features"]);
    return (Half(false), Half(true), median);
}
