// Whole-slide patch featurization at scale: generates a large pyramidal tiled TIFF with the
// vips CLI, then streams N spot patches through LoadPatches → FeaturizeMorphology and reports
// patches/s and peak memory. See README.md.
// Usage: dotnet run -c Release --project bench/SlideBench [-- --size 40960 --spots 100000
//        --batch 64 --max-seconds 480 --downsampled 20000 --load-only 10000 --breakdown 500
//        --keep --dir /tmp --slide existing.tif]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MlNetStem;
using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Transforms;

var options = ParseArgs(args);
int size = options.GetValueOrDefault("--size", 40960);
int spotCount = options.GetValueOrDefault("--spots", 100_000);
int batchSize = options.GetValueOrDefault("--batch", 64);
int maxSeconds = options.GetValueOrDefault("--max-seconds", 480);
int downsampledCount = options.GetValueOrDefault("--downsampled", 20_000);
string? existing = args.SkipWhile(a => a != "--slide").Skip(1).FirstOrDefault();
bool keep = args.Contains("--keep") || existing is not null;
string dir = Path.Combine(args.SkipWhile(a => a != "--dir").Skip(1).FirstOrDefault() ?? Path.GetTempPath(), $"slidebench-{Environment.ProcessId}");
const double Mpp = 0.5;
const int TileSide = 2048;
if (size % TileSide != 0) throw new ArgumentException($"--size must be a multiple of {TileSide}.");

Directory.CreateDirectory(dir);
string slidePath = existing ?? Path.Combine(dir, "slide.tif");
try
{
    Console.WriteLine($"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

    // 1. Generate: a 2048² synthetic H&E tile, replicated lazily by libvips and streamed straight
    //    into a tiled JPEG pyramid (no full-size intermediate on disk or in memory).
    var clock = Stopwatch.StartNew();
    if (existing is null)
    {
        string tile = Path.Combine(dir, "tile.ppm");
        WriteTile(tile, TileSide, seed: 7);
        int repeats = size / TileSide;
        Run("vips", "replicate", tile,
            $"{slidePath}[tile,pyramid,compression=jpeg,Q=80,tile-width=256,tile-height=256,xres={1000 / Mpp},yres={1000 / Mpp}]",
            $"{repeats}", $"{repeats}");
        File.Delete(tile);
        Console.WriteLine($"generated {size}×{size} px at {Mpp} µm/px: {clock.Elapsed.TotalSeconds:0.0} s, {new FileInfo(slidePath).Length / 1e6:0} MB");
    }

    using (var slide = SlideOpener.Open(slidePath))
    {
        Console.WriteLine($"{slide.GetType().Name}: {slide.Levels.Count} levels " +
            string.Join(", ", slide.Levels.Select(l => $"{l.Width}×{l.Height} (÷{l.Downsample:0.##})")) + $", mpp {slide.MicronsPerPixel:0.###}");
        clock.Restart();
        var mask = TissueMask.Compute(slide);
        Console.WriteLine($"tissue mask {mask.Width}×{mask.Height} (cell {mask.CellSize:0.#} px): {clock.Elapsed.TotalMilliseconds:0} ms, coverage {mask.TissueCoverage:P1}, threshold {mask.Threshold:0.###}");
    }

    // Single-thread cost of each step on the first spots (raster order), to explain the rates.
    Breakdown(slidePath, Spots(new SlideReference(slidePath, null), size, spotCount), options.GetValueOrDefault("--breakdown", 500));
    Memory("after breakdown");

    // 2. Spots on a raster grid (the order spot tables come in), patch 112 µm → 224 px at level 0.
    var ml = new MLContext(1);
    ml.SpatialExpression().Seed = 1;
    var reference = new SlideReference(slidePath, null);   // mpp comes from the TIFF
    int loadOnly = options.GetValueOrDefault("--load-only", 10_000);
    if (loadOnly > 0) MeasureLoading(ml, Spots(reference, size, loadOnly), batchSize);
    Memory("after LoadPatches alone");
    var full = Measure(ml, Spots(reference, size, spotCount), 112, 224, batchSize, maxSeconds, "112 µm at 224 px (0.5 µm/px, level 0)");
    Memory("after the main pass");

    // 3. The same physical patch at 56 px (2 µm/px): read from pyramid level 2, not level 0.
    if (downsampledCount > 0)
        Measure(ml, Spots(reference, size, downsampledCount), 112, 56, batchSize, maxSeconds, "112 µm at 56 px (2 µm/px, level 2)");

    string status = File.ReadAllText("/proc/self/status");
    string hwm = status.Split('\n').First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)).Split(':')[1].Trim();
    using var self = Process.GetCurrentProcess();
    Console.WriteLine($"peak memory: VmHWM {hwm} ({ParseKb(hwm) / 1024.0:0} MB), Process.PeakWorkingSet64 {self.PeakWorkingSet64 / 1048576.0:0} MB, " +
        $"managed heap now {GC.GetTotalMemory(false) / 1048576.0:0} MB");
    Console.WriteLine(full.Count < spotCount
        ? $"NOTE: stopped after {full.Count} of {spotCount} patches (--max-seconds {maxSeconds}); {spotCount} would take ≈ {spotCount / full.Rate / 60:0.0} min at the measured rate (extrapolated)."
        : $"all {spotCount} patches featurized.");
}
finally
{
    if (!keep) Directory.Delete(dir, recursive: true);
    else Console.WriteLine($"kept {slidePath}");
}

static (int Count, double Rate) Measure(MLContext ml, IDataView spots, double microns, int pixels, int batchSize, int maxSeconds, string label)
{
    var pipeline = ml.Transforms.LoadPatches("Patch", "Image", microns, pixels)
        .Append(ml.Transforms.FeaturizeMorphology("Features", "Patch"));
    var model = pipeline.Fit(spots);
    var clock = Stopwatch.StartNew();
    int done = 0, nextReport = 10_000;
    double checksum = 0;
    foreach (var batch in model.Transform(spots).ReadBatches(["Features"], batchSize))
    {
        foreach (float v in batch.GetFloats("Features")) checksum += v;
        done += batch.RowCount;
        if (done >= nextReport)
        {
            Console.WriteLine($"  {done,7} patches  {clock.Elapsed.TotalSeconds,6:0.0} s  {done / clock.Elapsed.TotalSeconds,6:0} patches/s");
            nextReport += 10_000;
        }
        if (clock.Elapsed.TotalSeconds > maxSeconds) break;
    }
    double rate = done / clock.Elapsed.TotalSeconds;
    Console.WriteLine($"{label}: {done} patches in {clock.Elapsed.TotalSeconds:0.0} s = {rate:0} patches/s (batch {batchSize}, checksum {checksum:0.###})");
    return (done, rate);
}

static void Breakdown(string path, IDataView spots, int count)
{
    if (count <= 0) return;
    var batch = spots.ReadBatches(["PixelX", "PixelY"], count).First();
    var xs = batch.GetDoubles("PixelX");
    var ys = batch.GetDoubles("PixelY");
    var patch = new float[3 * 224 * 224];
    var features = new float[MorphologyFeatures.Count];
    using var openSlide = OpenSlideSlide.Open(path);
    using var vips = VipsSlide.Open(path);
    foreach (var (name, slide) in new (string, ISlide)[] { ("OpenSlide", openSlide), ("libvips", vips) })
    {
        PatchSampler.Read(slide, xs[0], ys[0], 224, 224, patch);   // warm-up
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < batch.RowCount; i++) PatchSampler.Read(slide, xs[i], ys[i], 224, 224, patch);
        Console.WriteLine($"  1 thread, {name,-9} read+resample 224 px at level 0: {clock.Elapsed.TotalMilliseconds / batch.RowCount:0.00} ms/patch");
        clock.Restart();
        Parallel.For(0, batch.RowCount, () => new float[3 * 224 * 224], (i, _, buffer) =>
        {
            PatchSampler.Read(slide, xs[i], ys[i], 224, 224, buffer);
            return buffer;
        }, _ => { });
        Console.WriteLine($"  {Environment.ProcessorCount} threads, {name,-9} read+resample 224 px at level 0: {batch.RowCount / clock.Elapsed.TotalSeconds:0} patches/s");
    }
    var timer = Stopwatch.StartNew();
    for (int i = 0; i < batch.RowCount; i++) MorphologyFeatures.Compute(patch, 224, features);
    Console.WriteLine($"  1 thread, MorphologyFeatures on 224 px: {timer.Elapsed.TotalMilliseconds / batch.RowCount:0.00} ms/patch");
}

static void Memory(string when)
{
    var lines = File.ReadAllLines("/proc/self/status");
    string Field(string name) => lines.First(l => l.StartsWith(name, StringComparison.Ordinal)).Split(':')[1].Trim();
    Console.WriteLine($"  [{when}: VmHWM {Field("VmHWM:")}, VmRSS {Field("VmRSS:")}, threads {Field("Threads:")}, managed {GC.GetTotalMemory(false) / 1048576.0:0} MB, GC committed {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0:0} MB]");
}

static void MeasureLoading(MLContext ml, IDataView spots, int batchSize)
{
    var loader = ml.Transforms.LoadPatches("Patch", "Image", 112, 224).Fit(spots);
    var clock = Stopwatch.StartNew();
    int done = 0;
    foreach (var batch in loader.Transform(spots).ReadBatches(["Patch"], batchSize)) done += batch.RowCount;
    Console.WriteLine($"LoadPatches alone, 112 µm at 224 px: {done} patches in {clock.Elapsed.TotalSeconds:0.0} s = {done / clock.Elapsed.TotalSeconds:0} patches/s");
}

static IDataView Spots(SlideReference slide, int size, int count)
{
    const double margin = 224;
    int columns = (int)Math.Ceiling(Math.Sqrt(count));
    double pitch = (size - 2 * margin) / columns;
    var xs = new double[count];
    var ys = new double[count];
    for (int i = 0; i < count; i++)
    {
        // Odd rows shifted by half a pitch, like Visium's hexagonal layout.
        int row = i / columns, column = i % columns;
        xs[i] = margin + (column + (row % 2) * 0.5) * pitch;
        ys[i] = margin + row * pitch;
    }
    var schema = SchemaExtensions.Create([
        SchemaColumns.Create("Image", ColumnTypes.Image),
        SchemaColumns.Create("PixelX", ColumnTypes.Float64),
        SchemaColumns.Create("PixelY", ColumnTypes.Float64),
    ]);
    return new InMemoryDataView(schema, count, new Dictionary<string, Array>
    {
        ["Image"] = Enumerable.Repeat(slide, count).ToArray(),
        ["PixelX"] = xs,
        ["PixelY"] = ys,
    });
}

// Pink stroma with purple nuclei, pixel noise, and a white gap in one corner (background).
static void WriteTile(string path, int side, int seed)
{
    var random = new Random(seed);
    var rgb = new byte[side * side * 3];
    for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++)
    {
        int i = (y * side + x) * 3, n = random.Next(-12, 13);
        bool gap = x > side * 3 / 4 && y > side * 3 / 4;
        rgb[i] = Clamp((gap ? 245 : 220) + n);
        rgb[i + 1] = Clamp((gap ? 243 : 130) + n);
        rgb[i + 2] = Clamp((gap ? 245 : 175) + n);
    }
    for (int k = 0; k < side * side / 400; k++)
    {
        int cx = random.Next(side), cy = random.Next(side), r = 3 + random.Next(4);
        if (cx > side * 3 / 4 && cy > side * 3 / 4) continue;
        for (int y = Math.Max(0, cy - r); y <= Math.Min(side - 1, cy + r); y++)
        for (int x = Math.Max(0, cx - r); x <= Math.Min(side - 1, cx + r); x++)
        {
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) > r * r) continue;
            int i = (y * side + x) * 3;
            rgb[i] = (byte)(70 + random.Next(20)); rgb[i + 1] = (byte)(40 + random.Next(15)); rgb[i + 2] = (byte)(125 + random.Next(20));
        }
    }
    using var file = File.Create(path);
    file.Write(Encoding.ASCII.GetBytes($"P6\n{side} {side}\n255\n"));
    file.Write(rgb);
}

static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);

static long ParseKb(string value) => long.Parse(value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);

static void Run(string tool, params string[] arguments)
{
    var start = new ProcessStartInfo(tool) { RedirectStandardError = true };
    foreach (var a in arguments) start.ArgumentList.Add(a);
    using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {tool}; run scripts/setup.sh");
    string error = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed: {error}");
}

static Dictionary<string, int> ParseArgs(string[] args)
{
    var result = new Dictionary<string, int>(StringComparer.Ordinal);
    for (int i = 0; i + 1 < args.Length; i++)
        if (args[i].StartsWith("--", StringComparison.Ordinal) && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int v))
            result[args[i]] = v;
    return result;
}
