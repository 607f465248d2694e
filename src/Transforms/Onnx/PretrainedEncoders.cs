namespace MlNetStem.Transforms.Onnx;

/// <summary>
/// Pretrained image encoders that scripts/setup.sh installs locally, so using them needs no download at run time.
/// </summary>
public static class PretrainedEncoders
{
    /// <summary>Environment variable naming a folder that holds <see cref="ResNet18FileName"/>, instead of the repository's.</summary>
    public const string ResNet18DirectoryVariable = "MLNETSTEM_RESNET18_DIR";

    /// <summary>The ResNet18 model file (ML.NET's DnnImageFeaturizer model): input [1,3,224,224] BGR, output [1,512,1,1].</summary>
    public const string ResNet18FileName = "ResNet18.onnx";

    /// <summary>The companion preprocessing model shipped with it (RGB 0–255 in, BGR minus the Caffe ImageNet mean image out).</summary>
    public const string ResNet18PreprocessFileName = "ResNetPreprocess.onnx";

    private static readonly string ResNet18RelativeDirectory = Path.Combine(".native", "models", "resnet18");

    /// <summary>
    /// Per-channel means of the mean image that ML.NET's ResNetPreprocess.onnx subtracts, in 0–255 units, listed R, G, B.
    /// That graph subtracts a per-pixel 224×224 image (std 3–6 units around these values); a per-channel mean is what
    /// <see cref="OnnxEncoderOptions"/> can express, and its effect on the embedding is measured in the tests.
    /// </summary>
    public static IReadOnlyList<float> ResNet18CaffeMean { get; } = [123.15163f, 115.90288f, 103.06262f];

    /// <summary>
    /// ML.NET's ImageNet ResNet18 (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, MIT): 512 features per patch,
    /// the global average pool before the classifier. Patches in [0, 1] are resized to 224×224 and fed as
    /// <c>255·x − mean</c> in BGR order, as the package's preprocessing model does (Mean = caffe mean / 255, Std = 1/255).
    /// </summary>
    /// <param name="modelDirectory">Folder holding ResNet18.onnx; null: <see cref="LocateResNet18()"/>.</param>
    /// <exception cref="FileNotFoundException">The model is not there (the message says to run scripts/setup.sh).</exception>
    public static OnnxEncoderOptions ResNet18(string? modelDirectory = null)
    {
        string directory = modelDirectory ?? LocateResNet18();
        string path = Path.GetFullPath(Path.Combine(directory, ResNet18FileName));
        if (!File.Exists(path)) throw new FileNotFoundException($"ResNet18 model not found at {path}; run scripts/setup.sh.", path);
        return new OnnxEncoderOptions(path, InputSize: 224,
            Mean: ResNet18CaffeMean.Select(m => m / 255f).ToArray(),
            Std: [1 / 255f, 1 / 255f, 1 / 255f],
            Channels: ChannelOrder.Bgr);
    }

    /// <summary>
    /// The folder holding ResNet18.onnx: <see cref="ResNet18DirectoryVariable"/> when set, else the repository's
    /// <c>.native/models/resnet18</c>, found by walking up from the application's base directory (as the libtorch shim is).
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither place holds the model (the message says to run scripts/setup.sh).</exception>
    public static string LocateResNet18() => LocateResNet18(Environment.GetEnvironmentVariable(ResNet18DirectoryVariable));

    /// <summary>As <see cref="LocateResNet18()"/>, given the value of <see cref="ResNet18DirectoryVariable"/> (null when unset).</summary>
    /// <exception cref="FileNotFoundException">Neither place holds the model.</exception>
    public static string LocateResNet18(string? fromEnvironment)
    {
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            string file = Path.Combine(fromEnvironment, ResNet18FileName);
            if (File.Exists(file)) return Path.GetFullPath(fromEnvironment);
            throw new FileNotFoundException($"ResNet18 model not found at {file} ({ResNet18DirectoryVariable} is set); " +
                "point it at a folder holding ResNet18.onnx, or unset it and run scripts/setup.sh.", file);
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, ResNet18RelativeDirectory);
            if (File.Exists(Path.Combine(candidate, ResNet18FileName))) return candidate;
        }
        throw new FileNotFoundException($"ResNet18 model not found at {Path.Combine(ResNet18RelativeDirectory, ResNet18FileName)} above " +
            $"'{AppContext.BaseDirectory}'; run scripts/setup.sh.", ResNet18FileName);
    }
}
