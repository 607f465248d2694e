// Patch loading and morphology featurizer throughput on the bundled HER2ST section C2.
// Usage: dotnet build bench/Throughput -c Release && dotnet bench/Throughput/bin/Release/net10.0/MlNetStem.Throughput.dll [--rounds N]
// Every round runs each measurement once, in turn, so load from other processes spreads over all
// of them alike; each line gives the median and the best round. The [key] ends a line for scripts
// (compare.sh). Uses only APIs older than the slide cache, so the same file builds against older
// commits for before/after comparisons.
using System.Diagnostics;
using MlNetStem;
using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Transforms;

int rounds = args.Length == 2 && args[0] == "--rounds" ? int.Parse(args[1]) : 5;
string root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "MlNetStem.sln"))) root = Path.GetDirectoryName(root)!;
var ml = new MLContext(1);
ml.SpatialExpression().Seed = 1;
string jpeg = Path.Combine(root, "data/her2st/C2/he.jpg");
var spots = Her2stLoader.Load(Path.Combine(root, "data/her2st/C2")).Data;
int n = spots.Rows;
var loader = ml.Transforms.LoadPatches("Patch", "Image", 112, 224).Fit(spots);
var endToEnd = ml.Transforms.LoadPatches("Patch", "Image", 112, 224)
    .Append(ml.Transforms.FeaturizeMorphology("Features", "Patch")).Fit(spots);
Console.WriteLine($"{n} spots of C2, 112 µm patches at 224 px, batches of 64, {Environment.ProcessorCount} cores, {rounds} rounds, " +
    $"load average {File.ReadAllText("/proc/loadavg")[..14]}");

// First pass of the process: JIT, libvips start-up and the JPEG decode (9274×9911 px, 276 MB).
var warm = Stopwatch.StartNew();
var patches = DataViewMaterializer.Materialize(loader.Transform(spots), ["Patch"]);
Console.WriteLine($"first pass incl. JIT and JPEG decode: {warm.Elapsed.TotalSeconds:0.00} s");

// Cold passes read a copy of he.jpg with a new modification time each round, so no reader can reuse
// an open (decoded) image: open + decode + read + resample, as for a section seen for the first time.
string coldFolder = Path.Combine(Path.GetTempPath(), $"mlnetstem-throughput-{Environment.ProcessId}");
Directory.CreateDirectory(coldFolder);
string coldJpeg = Path.Combine(coldFolder, "he.jpg");
var coords = spots.ReadBatches(["Image", "PixelX", "PixelY"]).Single();
var xs = coords.GetDoubles("PixelX");
var ys = coords.GetDoubles("PixelY");
double mpp = coords.GetImages("Image")[0].MicronsPerPixel!.Value;
var coldSpots = new InMemoryDataView(SchemaExtensions.Create([
    SchemaColumns.Create("Image", ColumnTypes.Image),
    SchemaColumns.Create("PixelX", ColumnTypes.Float64),
    SchemaColumns.Create("PixelY", ColumnTypes.Float64),
]), n, new Dictionary<string, Array>
{
    ["Image"] = Enumerable.Repeat(new SlideReference(coldJpeg, mpp), n).ToArray(),
    ["PixelX"] = xs,
    ["PixelY"] = ys,
});
int coldRound = 0;
void FreshCopy()
{
    File.Copy(jpeg, coldJpeg, overwrite: true);
    File.SetLastWriteTimeUtc(coldJpeg, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(++coldRound));
}

// Region reads + resampling only, image already decoded.
using var image = VipsImage.Open(jpeg);
var buffer = new float[3 * 224 * 224];
PatchSampler.Read(image, xs[0], ys[0], 112 / mpp, 224, buffer);
var featurizer = ml.Transforms.FeaturizeMorphology("Features", "Patch").Fit(patches);
var all = patches.ReadBatches(["Patch"]).Single().GetFloats("Patch");
var features = new float[MorphologyFeatures.Count];

var measurements = new (string Key, string Label, Action? Prepare, Action Run)[]
{
    ("load-warm", "LoadPatches transform, repeated pass (read + resample, parallel)", null,
        () => { foreach (var _ in loader.Transform(spots).ReadBatches(["Patch"], 64)) { } }),
    ("load-cold", "LoadPatches transform, new image (open + decode + read + resample)", FreshCopy,
        () => { foreach (var _ in loader.Transform(coldSpots).ReadBatches(["Patch"], 64)) { } }),
    ("e2e-warm", "LoadPatches → FeaturizeMorphology, repeated pass", null,
        () => { foreach (var _ in endToEnd.Transform(spots).ReadBatches(["Features"], 64)) { } }),
    ("e2e-cold", "LoadPatches → FeaturizeMorphology, new image (incl. decode)", FreshCopy,
        () => { foreach (var _ in endToEnd.Transform(coldSpots).ReadBatches(["Features"], 64)) { } }),
    ("sampler", "PatchSampler, decoded image, 1 thread", null, () =>
    {
        for (int i = 0; i < n; i++) PatchSampler.Read(image, xs[i], ys[i], 112 / mpp, 224, buffer);
    }),
    ("featurize", "FeaturizeMorphology transform (parallel over batch)", null,
        () => { foreach (var _ in featurizer.Transform(patches).ReadBatches(["Features"], 64)) { } }),
    ("morphology", "MorphologyFeatures.Compute, 1 thread", null, () =>
    {
        for (int i = 0; i < n; i++) MorphologyFeatures.Compute(all.AsSpan(i * 3 * 224 * 224, 3 * 224 * 224), 224, features);
    }),
};

var rates = measurements.Select(_ => new List<double>()).ToArray();
try
{
    for (int r = 0; r < rounds; r++)
    {
        for (int m = 0; m < measurements.Length; m++)
        {
            measurements[m].Prepare?.Invoke();
            var clock = Stopwatch.StartNew();
            measurements[m].Run();
            rates[m].Add(n / clock.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"round {r + 1}: " + string.Join("  ", measurements.Select((m, i) => $"{m.Key} {rates[i][^1]:0}")));
    }
}
finally
{
    Directory.Delete(coldFolder, recursive: true);
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg")[..14]}");
for (int m = 0; m < measurements.Length; m++)
    Console.WriteLine($"{measurements[m].Label,-70} median {Median(rates[m]),6:0} patches/s, best {rates[m].Max(),6:0}  [{measurements[m].Key}]");
