// Patch loading and morphology featurizer throughput on the bundled HER2ST sections.
// Usage: dotnet run -c Release --project bench/Throughput [-- --rounds N]
using System.Diagnostics;
using MlNetStem;
using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Transforms;

int rounds = args.Length == 2 && args[0] == "--rounds" ? int.Parse(args[1]) : 3;
string root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "MlNetStem.sln"))) root = Path.GetDirectoryName(root)!;
var ml = new MLContext(1);
ml.SpatialExpression().Seed = 1;
var spots = Her2stLoader.Load(Path.Combine(root, "data/her2st/C2")).Data;
var loader = ml.Transforms.LoadPatches("Patch", "Image", 112, 224).Fit(spots);
Console.WriteLine($"{spots.Rows} spots of C2, 112 µm patches at 224 px, {Environment.ProcessorCount} cores, {rounds} rounds");

// Warm-up decodes the JPEG once (libvips random access); excluded from the per-patch rates.
var warm = Stopwatch.StartNew();
var patches = DataViewMaterializer.Materialize(loader.Transform(spots), ["Patch"]);
Console.WriteLine($"first pass incl. JPEG decode: {warm.Elapsed.TotalSeconds:0.00} s");

double Rate(Action run, int count)
{
    var best = double.MaxValue;
    for (int r = 0; r < rounds; r++)
    {
        var clock = Stopwatch.StartNew();
        run();
        best = Math.Min(best, clock.Elapsed.TotalSeconds);
    }
    return count / best;
}

// Patch loading through the transform (one cursor; image opened and decoded inside).
double loadRate = Rate(() => { foreach (var _ in loader.Transform(spots).ReadBatches(["Patch"], 64)) { } }, spots.Rows);

// Region reads + resampling only, image already decoded.
using var image = VipsImage.Open(Path.Combine(root, "data/her2st/C2/he.jpg"));
var xs = spots.ReadBatches(["PixelX", "PixelY"]).Single();
var buffer = new float[3 * 224 * 224];
double mpp = spots.ReadBatches(["Image"]).Single().GetImages("Image")[0].MicronsPerPixel!.Value;
PatchSampler.Read(image, xs.GetDoubles("PixelX")[0], xs.GetDoubles("PixelY")[0], 112 / mpp, 224, buffer);
double samplerRate = Rate(() =>
{
    for (int i = 0; i < spots.Rows; i++)
        PatchSampler.Read(image, xs.GetDoubles("PixelX")[i], xs.GetDoubles("PixelY")[i], 112 / mpp, 224, buffer);
}, spots.Rows);

// Morphology features: transform (parallel over the batch) and a single thread.
var featurizer = ml.Transforms.FeaturizeMorphology("Features", "Patch").Fit(patches);
double featureRate = Rate(() => { foreach (var _ in featurizer.Transform(patches).ReadBatches(["Features"], 64)) { } }, spots.Rows);
var all = patches.ReadBatches(["Patch"]).Single().GetFloats("Patch");
var features = new float[MorphologyFeatures.Count];
double singleRate = Rate(() =>
{
    for (int i = 0; i < spots.Rows; i++)
        MorphologyFeatures.Compute(all.AsSpan(i * 3 * 224 * 224, 3 * 224 * 224), 224, features);
}, spots.Rows);

Console.WriteLine($"LoadPatches transform (decode + read + resample, parallel): {loadRate,8:0} patches/s");
Console.WriteLine($"PatchSampler, decoded image, 1 thread:                    {samplerRate,8:0} patches/s");
Console.WriteLine($"FeaturizeMorphology transform (parallel over batch):      {featureRate,8:0} patches/s");
Console.WriteLine($"MorphologyFeatures.Compute, 1 thread:                     {singleRate,8:0} patches/s");
