using System.Diagnostics;
using System.Globalization;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;
using MlNetStem.Torch.Optim;

// Usage: dotnet run -c Release --project bench/TorchBench [-- --quick]
// Compares libtorch matmul through the binding with the same loop in C++ (mst_bench_matmul,
// built by src/Torch/native), for 1 and 2 intra-op threads, then times a small MLP training step.
var quick = args.Contains("--quick");
// n = 1 measures the per-call cost (dispatch + binding) rather than arithmetic.
var sizes = new long[] { 1, 64, 256, 1024 };
var threadCounts = new[] { 1, 2 };
var repeats = quick ? 1 : 3;

var native = Environment.GetEnvironmentVariable("MLNETSTEM_TORCH_BENCH") ?? FindNativeBench();
Console.WriteLine($"libtorch {TorchThreads.LibTorchVersion}, {Environment.ProcessorCount} cores, best of {repeats} runs");
Console.WriteLine($"C++ reference: {native ?? "(not found: run scripts/setup.sh)"}");
Console.WriteLine();
Console.WriteLine("matmul n×n float32, ms per op");
Console.WriteLine($"{"n",6} {"threads",8} {"C#",10} {"C++",10} {"C#/C++",8} {"GFLOP/s C#",11}");
foreach (var threads in threadCounts)
{
    TorchThreads.Set(threads);
    foreach (var n in sizes)
    {
        var iterations = Iterations(n);
        var managed = Enumerable.Range(0, repeats).Min(_ => MatmulMs(n, iterations));
        var cpp = native is null ? double.NaN : Enumerable.Range(0, repeats).Min(_ => NativeMs(native, n, threads, iterations));
        var gflops = 2.0 * n * n * n / (managed * 1e6);
        Console.WriteLine($"{n,6} {threads,8} {managed,10:F4} {cpp,10:F4} {managed / cpp,8:F2} {gflops,11:F2}");
    }
}

Console.WriteLine();
Console.WriteLine("MLP training step (batch 64, 1024→256→256→50, SiLU, AdamW), ms per step");
foreach (var threads in threadCounts)
{
    TorchThreads.Set(threads);
    var ms = Enumerable.Range(0, repeats).Min(_ => MlpStepMs(quick ? 20 : 50));
    Console.WriteLine($"  threads {threads}: {ms:F2}");
}

static int Iterations(long n) => n switch { 1 => 100_000, <= 64 => 2000, <= 256 => 200, _ => 10 };

static double MatmulMs(long n, int iterations)
{
    using var g = new Generator(1);
    using var a = Tensor.RandN([n, n], g);
    using var b = Tensor.RandN([n, n], g);
    for (var i = 0; i < 3; i++) a.Matmul(b).Dispose();
    var sw = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++)
    {
        using var c = a.Matmul(b);
    }
    return sw.Elapsed.TotalMilliseconds / iterations;
}

static double NativeMs(string exe, long n, int threads, int iterations)
{
    var psi = new ProcessStartInfo(exe, $"{n} {threads} {iterations}") { RedirectStandardOutput = true };
    using var p = Process.Start(psi)!;
    var line = p.StandardOutput.ReadToEnd().Trim();
    p.WaitForExit();
    return double.Parse(line.Split(' ')[2], CultureInfo.InvariantCulture);
}

static double MlpStepMs(int steps)
{
    using var g = new Generator(1);
    using var mlp = new Sequential(new Linear(1024, 256, g), new Silu(), new Linear(256, 256, g), new Silu(), new Linear(256, 50, g));
    using var opt = new AdamW(mlp.Parameters(), 1e-3);
    using var x = Tensor.RandN([64, 1024], g);
    using var y = Tensor.RandN([64, 50], g);
    void Step()
    {
        using var scope = Tensor.NewScope();
        opt.ZeroGrad();
        Tensor.MseLoss(mlp.Forward(x), y).Backward();
        opt.Step();
    }
    for (var i = 0; i < 3; i++) Step();
    var sw = Stopwatch.StartNew();
    for (var i = 0; i < steps; i++) Step();
    return sw.Elapsed.TotalMilliseconds / steps;
}

static string? FindNativeBench()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, ".native", "bin", "mst_bench_matmul");
        if (File.Exists(candidate)) return candidate;
    }
    return null;
}
