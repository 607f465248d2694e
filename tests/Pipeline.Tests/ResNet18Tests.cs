using System.Globalization;
using MlNetStem.Data;
using MlNetStem.Onnx;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using MlNetStem.Transforms.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// The built-in ResNet18 (ML.NET's pretrained DnnImageFeaturizer model, installed by scripts/setup.sh) on real HER2ST
/// patches, against the package's own two-model chain run by ONNX Runtime. A missing model fails these tests.
/// </summary>
public class ResNet18Tests(ITestOutputHelper output)
{
    private static readonly MLContext Ml = SeededContext.Create(1);
    private const int Side = 224, Plane = Side * Side;

    private static string ModelDirectory => PretrainedEncoders.LocateResNet18();

    /// <summary>Four 224-pixel patches of the bundled C2 section, around its first spots (real H&amp;E).</summary>
    private static readonly Lazy<InMemoryDataView> RealPatches = new(() =>
    {
        string section = RepositoryPaths.Her2st("C2");
        var centres = File.ReadLines(Path.Combine(section, "spots.tsv")).Skip(1).Take(4).Select(line =>
        {
            var f = line.Split('\t');
            return (double.Parse(f[4], CultureInfo.InvariantCulture), double.Parse(f[5], CultureInfo.InvariantCulture));
        }).ToArray();
        var spots = PatchAndFeatureTests.Spots(Path.Combine(section, "he.jpg"), 0.5, centres);
        var patches = Column(Ml.Transforms.LoadPatches("Patch", "Image", sizeMicrons: 112, sizePixels: Side).Fit(spots).Transform(spots), "Patch");
        return new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Patch", ColumnTypes.FloatTensor(3, Side, Side))]),
            centres.Length, new Dictionary<string, Array> { ["Patch"] = patches });
    });

    private static float[] Column(IDataView view, string name) =>
        view.ReadBatches([name]).SelectMany(b => b.GetFloats(name)).ToArray();

    /// <summary>Runs a model of fixed batch 1 on each image in turn.</summary>
    private static float[] OneAtATime(OnnxSession session, float[] images, int count)
    {
        string input = session.Inputs[0].Name, output = session.Outputs[0].Name;
        int length = images.Length / count;
        return Enumerable.Range(0, count).SelectMany(k => session.Run(new Dictionary<string, OnnxTensor>
        {
            [input] = OnnxTensor.Create(images.AsSpan(k * length, length).ToArray(), 1, 3, Side, Side),
        }, output)[output].GetData<float>()).ToArray();
    }

    private static float[] Scaled(float[] patches) => patches.Select(v => 255f * v).ToArray();

    /// <summary>BGR planes of 255·x minus the per-channel means: the input the ResNet18 options describe.</summary>
    private static float[] PerChannelInput(float[] patches)
    {
        var mean = PretrainedEncoders.ResNet18CaffeMean;
        var x = new float[patches.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int image = i / (3 * Plane), c = i / Plane % 3, source = 2 - c;
            x[i] = 255f * patches[image * 3 * Plane + source * Plane + i % Plane] - mean[source];
        }
        return x;
    }

    private static double MaxAbs(float[] a) => a.Max(v => Math.Abs((double)v));

    private static double MaxAbsDifference(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs((double)p.First - p.Second));

    private static double MinCosine(float[] a, float[] b, int dim) => Enumerable.Range(0, a.Length / dim).Min(r =>
    {
        var x = a.AsSpan(r * dim, dim);
        var y = b.AsSpan(r * dim, dim);
        double xy = 0, xx = 0, yy = 0;
        for (int j = 0; j < dim; j++) (xy, xx, yy) = (xy + x[j] * y[j], xx + x[j] * x[j], yy + y[j] * y[j]);
        return xy / Math.Sqrt(xx * yy);
    });

    [Fact]
    public void ResNet18_IsInstalled_AndLocatedFromTheRepository()
    {
        string directory = ModelDirectory;
        Assert.True(File.Exists(Path.Combine(directory, PretrainedEncoders.ResNet18FileName)));
        Assert.True(File.Exists(Path.Combine(directory, PretrainedEncoders.ResNet18PreprocessFileName)),
            $"{PretrainedEncoders.ResNet18PreprocessFileName} is missing from {directory}: run scripts/setup.sh");
        var options = PretrainedEncoders.ResNet18();
        Assert.Equal(ChannelOrder.Bgr, options.Channels);
        Assert.Equal(224, options.InputSize);
    }

    [Fact]
    public void ResNet18_MissingModel_IsAClearErrorNamingThePathAndSetup()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<FileNotFoundException>(() => PretrainedEncoders.ResNet18(folder.Path));
        Assert.Equal($"ResNet18 model not found at {Path.Combine(folder.Path, "ResNet18.onnx")}; run scripts/setup.sh.", error.Message);
        var fromVariable = Assert.Throws<FileNotFoundException>(() => PretrainedEncoders.LocateResNet18(folder.Path));
        Assert.Contains($"ResNet18 model not found at {Path.Combine(folder.Path, "ResNet18.onnx")}", fromVariable.Message);
        Assert.Contains(PretrainedEncoders.ResNet18DirectoryVariable, fromVariable.Message);
    }

    [Fact]
    public void ResNet18_BatchedFeaturizeOnnx_EqualsThePackageModelRunOnePatchAtATime_WithPerChannelMeans()
    {
        var data = RealPatches.Value;
        var patches = (float[])data.GetColumnArray("Patch");
        using var transformer = Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch", [PretrainedEncoders.ResNet18()], BatchSize: 4))
            .Fit(data);
        // The package's model takes one image; the featurizer made its batch symbolic after checking it.
        Assert.Equal([OnnxBatching.MadeSymbolic], transformer.EncoderBatching);
        Assert.Equal(512, transformer.OutputWidth);
        var ours = Column(transformer.Transform(data), "Embedding");

        using var resnet = OnnxSession.Load(Path.Combine(ModelDirectory, PretrainedEncoders.ResNet18FileName));
        Assert.Equal(1, resnet.Inputs[0].Dimensions[0]);
        var expected = OneAtATime(resnet, PerChannelInput(patches), 4);
        double scale = MaxAbs(expected), diff = MaxAbsDifference(expected, ours);
        output.WriteLine($"max |ours - per-patch chain| = {diff:G3} (max |value| {scale:G3})");
        Assert.True(diff <= 1e-4 * scale, $"max abs difference {diff} for values up to {scale}");
        Assert.True(MinCosine(ours[..512], ours[512..1024], 512) < 0.999, "two different patches should not embed alike");
    }

    [Fact]
    public void ResNet18_Options_ReproduceThePackagePreprocessing_UpToItsPerPixelMeanImage()
    {
        var data = RealPatches.Value;
        var patches = (float[])data.GetColumnArray("Patch");
        using var preprocess = OnnxSession.Load(Path.Combine(ModelDirectory, PretrainedEncoders.ResNet18PreprocessFileName));
        using var resnet = OnnxSession.Load(Path.Combine(ModelDirectory, PretrainedEncoders.ResNet18FileName));

        // The package's graph: RGB 0–255 in, BGR minus a 224×224 mean image out. Its difference to ours is that mean
        // image minus its per-channel averages: zero on average in each channel (our means and channel order are its own),
        // a few units per pixel.
        var theirs = OneAtATime(preprocess, Scaled(patches), 4);
        var mine = PerChannelInput(patches);
        for (int c = 0; c < 3; c++)
        {
            double sum = 0, worst = 0;
            for (int image = 0; image < 4; image++)
                for (int i = 0; i < Plane; i++)
                {
                    int at = image * 3 * Plane + c * Plane + i;
                    sum += mine[at] - theirs[at];
                    worst = Math.Max(worst, Math.Abs(mine[at] - theirs[at]));
                }
            output.WriteLine($"BGR channel {c}: mean difference {sum / (4 * Plane):G3}, max {worst:G3} (0–255 units)");
            Assert.True(Math.Abs(sum / (4 * Plane)) < 0.01, $"channel {c}: mean difference {sum / (4 * Plane)}");
            Assert.True(worst < 16, $"channel {c}: max difference {worst}");
        }

        // End to end: FeaturizeOnnx against the package's chain (preprocess → ResNet18) run by ONNX Runtime.
        using var transformer = Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch", [PretrainedEncoders.ResNet18()])).Fit(data);
        var ours = Column(transformer.Transform(data), "Embedding");
        var chain = OneAtATime(resnet, theirs, 4);
        double scale = MaxAbs(chain), diff = MaxAbsDifference(chain, ours), cosine = MinCosine(chain, ours, 512);
        output.WriteLine($"ours vs the package chain: max abs difference {diff:G3} (max |value| {scale:G3}), min cosine {cosine:F5}");
        Assert.True(cosine > 0.99, $"cosine {cosine}");
        Assert.True(diff <= 0.1 * scale, $"max abs difference {diff} for values up to {scale}");
    }

    [Fact]
    public void Cli_TrainWithResNet18_WithDihedralViewsAndACache_RunsOnATinySection()
    {
        using var folder = new TempFolder();
        string section = Path.Combine(folder.Path, "tiny");
        SyntheticTissue.Write(section, seed: 5, grid: 3);
        string cache = folder.File("cache");
        var train = CliTests.Run("train", "--input", section, "--model", folder.File("r18.zip"), "--featurizer", "resnet18", "--genes", "4",
            "--augment", "dihedral", "--embedding-cache", cache);
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("ridge: 512 features → 4 genes", train.Out + train.Err);
        Assert.Equal(9 * 8, Directory.GetFiles(cache, "*.f32", SearchOption.AllDirectories).Length);   // 9 spots × 8 views
        var inspect = CliTests.Run("inspect", "--model", folder.File("r18.zip"));
        Assert.True(inspect.Code == 0, inspect.Err);
        Assert.Contains("FeaturizeOnnx: ResNet18 → 512 features", inspect.Out);

        var misuse = CliTests.Run("train", "--input", section, "--model", folder.File("x.zip"), "--featurizer", "resnet18", "--encoder", "a.onnx");
        Assert.Equal(2, misuse.Code);
        Assert.Contains("--featurizer resnet18 uses its own model", misuse.Err);
        var missing = ChildProcess.RunDotnet(Path.Combine(AppContext.BaseDirectory, "mlnetstem.dll"),
            ["train", "--input", section, "--model", folder.File("y.zip"), "--featurizer", "resnet18"],
            environment: new Dictionary<string, string> { [PretrainedEncoders.ResNet18DirectoryVariable] = folder.Path });
        Assert.Equal(2, missing.Code);
        Assert.Contains($"ResNet18 model not found at {Path.Combine(folder.Path, "ResNet18.onnx")}", missing.Err);
    }
}
