using System.Security.Cryptography;
using System.Text.Json.Serialization;
using MlNetStem.Onnx;
using MlNetStem.Onnx.Writer;

namespace MlNetStem.Transforms.Onnx;

/// <summary>
/// An encoder resolved against its model: the bytes, the chosen input and output, the input
/// size, the embedding width and how batches are fed. Built once by the estimator (which opens
/// the model to check it) and saved with the transformer, so a loaded pipeline needs neither the
/// file nor a probe. <see cref="ModelBytes"/> are the bytes run: for <see cref="OnnxBatching.MadeSymbolic"/>
/// the rewritten model, and <see cref="Sha256"/> is theirs.
/// </summary>
internal sealed record OnnxEncoderSpec(
    string Name,
    string InputName,
    string OutputName,
    int OutputRank,
    int Dimension,
    [property: JsonConverter(typeof(JsonStringEnumConverter<OnnxPooling>))] OnnxPooling Pooling,
    int? Height,
    int? Width,
    float[] Mean,
    float[] Std,
    [property: JsonConverter(typeof(JsonStringEnumConverter<ChannelOrder>))] ChannelOrder Channels,
    string Sha256,
    [property: JsonConverter(typeof(JsonStringEnumConverter<OnnxBatching>))] OnnxBatching Batching = OnnxBatching.Symbolic)
{
    /// <summary>Side of the probe images when the model's spatial size is symbolic and none was asked for.</summary>
    private const int ProbeSize = 224;

    /// <summary>The serialized ONNX model (not saved in the JSON state; a separate archive entry).</summary>
    [JsonIgnore]
    public byte[] ModelBytes { get; init; } = [];

    /// <summary>Reads and checks the model behind <paramref name="options"/>.</summary>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="ArgumentException">The model's input or output cannot be used (message names the model and the problem).</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime rejected the file.</exception>
    public static OnnxEncoderSpec Inspect(OnnxEncoderOptions options, string name)
    {
        string path = Path.GetFullPath(options.ModelPath);
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0) throw new ArgumentException($"ONNX model '{path}' is empty.");
        OnnxSession session;
        try
        {
            session = OnnxSession.FromBytes(bytes);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ArgumentException($"ONNX model '{path}' could not be loaded: {e.Message}", e);
        }
        OnnxTensorInfo input, output;
        int? height, width;
        using (session)
        {
            (input, output) = Resolve(session, options.InputName, options.OutputName, options.Pooling, path);
            height = SpatialSize(input.Dimensions[2], options.InputSize, "height", input, path);
            width = SpatialSize(input.Dimensions[3], options.InputSize, "width", input, path);
        }
        var batching = OnnxBatching.Symbolic;
        if (input.Dimensions[0] >= 0)
            (bytes, batching) = TryMakeBatchSymbolic(bytes, input.Name, output.Name, (int)input.Dimensions[0], height ?? ProbeSize, width ?? ProbeSize);
        return new OnnxEncoderSpec(name, input.Name, output.Name, output.Rank, (int)EmbeddingWidth(output), options.Pooling,
            height, width, options.EffectiveMean.ToArray(), options.EffectiveStd.ToArray(), options.Channels,
            Convert.ToHexStringLower(SHA256.HashData(bytes)), batching)
        { ModelBytes = bytes };
    }

    /// <summary>
    /// A model with a fixed batch would cost one ONNX Runtime call per patch. Rewrites its batch to a symbolic one and keeps
    /// the rewrite only if a batch of 2 (3 when the fixed batch is 2) runs and matches the original model run on each image;
    /// else feeds the fixed batch.
    /// </summary>
    private static (byte[] Bytes, OnnxBatching Batching) TryMakeBatchSymbolic(byte[] bytes, string inputName, string outputName,
        int fixedBatch, int height, int width)
    {
        // Not the fixed batch itself: a node hard-coding it would pass a probe of the same size.
        int probeBatch = fixedBatch == 2 ? 3 : 2;
        int imageLength = 3 * height * width;
        var images = new float[probeBatch * imageLength];
        var rng = new Random(15);
        for (int i = 0; i < images.Length; i++) images[i] = (float)(rng.NextDouble() * 4 - 2);
        try
        {
            var (rewritten, _) = OnnxModelEditor.MakeBatchSymbolic(bytes, inputName);
            float[] batched;
            using (var session = OnnxSession.FromBytes(rewritten, new OnnxSessionOptions { QuietErrors = true }))
            {
                if (session.Inputs[0].Dimensions[0] >= 0) return (bytes, OnnxBatching.Fixed);
                var result = session.Run(new Dictionary<string, OnnxTensor>
                {
                    [inputName] = OnnxTensor.Create(images, probeBatch, 3, height, width),
                }, outputName)[outputName];
                if (result.Shape.Count == 0 || result.Shape[0] != probeBatch) return (bytes, OnnxBatching.Fixed);
                batched = result.GetData<float>();
            }
            // The reference: the original model fed its own batch size, each probe image in slot 0, the rest zeros.
            using var original = OnnxSession.FromBytes(bytes);
            int perImage = batched.Length / probeBatch;
            double scale = batched.Max(v => Math.Abs((double)v)), worst = 0;
            for (int k = 0; k < probeBatch; k++)
            {
                var feed = new float[fixedBatch * imageLength];
                images.AsSpan(k * imageLength, imageLength).CopyTo(feed);
                var single = original.Run(new Dictionary<string, OnnxTensor>
                {
                    [inputName] = OnnxTensor.Create(feed, fixedBatch, 3, height, width),
                }, outputName)[outputName].GetData<float>();
                if (single.Length != fixedBatch * perImage) return (bytes, OnnxBatching.Fixed);
                for (int j = 0; j < perImage; j++) worst = Math.Max(worst, Math.Abs(single[j] - batched[k * perImage + j]));
            }
            return worst <= 1e-4 * (1 + scale) ? (rewritten, OnnxBatching.MadeSymbolic) : (bytes, OnnxBatching.Fixed);
        }
        catch (Exception e) when (e is OnnxRuntimeException or ArgumentException or InvalidDataException)
        {
            // ONNX Runtime refused the rewritten graph or a batch of 2 (e.g. a Reshape to [1, -1]).
            return (bytes, OnnxBatching.Fixed);
        }
    }

    /// <summary>
    /// Checks that a session opened from the saved bytes still has the input and output this
    /// spec names, with the same shapes (guards against a hand-edited archive).
    /// </summary>
    /// <exception cref="ArgumentException">The model differs from the spec.</exception>
    public void CheckAgainst(OnnxSession session)
    {
        var (input, output) = Resolve(session, InputName, OutputName, Pooling, Name);
        if (output.Rank != OutputRank || EmbeddingWidth(output) != Dimension)
            throw new ArgumentException($"ONNX model '{Name}': output '{output}' no longer matches the saved [{OutputRank}-D, width {Dimension}].");
        if ((input.Dimensions[0] >= 0) != (Batching == OnnxBatching.Fixed))
            throw new ArgumentException($"ONNX model '{Name}': input '{input}' does not match the saved batching {Batching}.");
        if ((Height is { } h && input.Dimensions[2] >= 0 && input.Dimensions[2] != h) ||
            (Width is { } w && input.Dimensions[3] >= 0 && input.Dimensions[3] != w))
            throw new ArgumentException($"ONNX model '{Name}': input '{input}' no longer matches the saved size {Height}×{Width}.");
    }

    private static (OnnxTensorInfo Input, OnnxTensorInfo Output) Resolve(OnnxSession session, string? inputName,
        string? outputName, OnnxPooling pooling, string model)
    {
        if (session.Inputs.Count != 1)
            throw new ArgumentException($"ONNX model '{model}' has {session.Inputs.Count} inputs ({string.Join("; ", session.Inputs)}); " +
                "FeaturizeOnnx feeds exactly one image input.");
        var input = session.Inputs[0];
        if (inputName is not null && input.Name != inputName)
            throw new ArgumentException($"ONNX model '{model}' has no input '{inputName}'; its only input is '{input}'.");
        if (!input.IsTensor || input.ElementType != OnnxElementType.Float || input.Rank != 4 || input.Dimensions[1] is >= 0 and not 3)
            throw new ArgumentException($"ONNX model '{model}': input '{input}' must be a rank-4 float tensor [N,3,H,W].");

        OnnxTensorInfo? output;
        if (outputName is not null)
        {
            output = session.Outputs.FirstOrDefault(o => o.Name == outputName) ??
                throw new ArgumentException($"ONNX model '{model}' has no output '{outputName}'; its outputs are: {string.Join("; ", session.Outputs)}.");
        }
        else
        {
            // Mean pooling needs tokens (or a feature map), so the default skips a leading [N,D] output.
            output = pooling == OnnxPooling.Mean ? session.Outputs.FirstOrDefault(o => o.Rank is 3 or 4) : session.Outputs.FirstOrDefault();
            if (output is null)
                throw new ArgumentException($"ONNX model '{model}' has no {(pooling == OnnxPooling.Mean ? "[N,T,D] or [N,C,H,W] " : "")}output; " +
                    $"its outputs are: {string.Join("; ", session.Outputs)}.");
        }
        if (!output.IsTensor || output.ElementType != OnnxElementType.Float || output.Rank is not (2 or 3 or 4))
            throw new ArgumentException($"ONNX model '{model}': output '{output}' must be a float tensor [N,D], [N,T,D] or [N,C,H,W].");
        if (EmbeddingWidth(output) < 1)
            throw new ArgumentException($"ONNX model '{model}': output '{output}' must have a fixed embedding width " +
                $"({(output.Rank == 4 ? "C, the channels of [N,C,H,W]" : "D, the last dimension")}).");
        if (pooling == OnnxPooling.Mean && output.Rank == 2)
            throw new ArgumentException($"ONNX model '{model}': mean pooling needs a [N,T,D] token output (or a [N,C,H,W] feature map), but '{output}' is [N,D].");
        if (pooling == OnnxPooling.Mean && output.Rank == 3 && output.Dimensions[1] is >= 0 and < 2)
            throw new ArgumentException($"ONNX model '{model}': mean pooling averages tokens 1..T-1, but output '{output}' has T < 2.");
        return (input, output);
    }

    /// <summary>The embedding width of an output: D of [N,D] and [N,T,D], C of a feature map [N,C,H,W].</summary>
    private static long EmbeddingWidth(OnnxTensorInfo output) => output.Rank == 4 ? output.Dimensions[1] : output.Dimensions[^1];

    private static int? SpatialSize(long declared, int? requested, string what, OnnxTensorInfo input, string model)
    {
        if (declared < 0) return requested;
        if (requested is { } r && r != declared)
            throw new ArgumentException($"ONNX model '{model}': input size {r} was asked for, but input '{input}' has a fixed {what} of {declared}.");
        return checked((int)declared);
    }
}
