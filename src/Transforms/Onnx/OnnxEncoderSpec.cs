using System.Security.Cryptography;
using System.Text.Json.Serialization;
using MlNetStem.Onnx;

namespace MlNetStem.Transforms.Onnx;

/// <summary>
/// An encoder resolved against its model: the bytes, the chosen input and output, the input
/// size and the embedding width. Built once by the estimator (which opens the model to check
/// it) and saved with the transformer, so a loaded pipeline needs neither the file nor a probe.
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
    string Sha256)
{
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
        using (session)
        {
            var (input, output) = Resolve(session, options.InputName, options.OutputName, options.Pooling, path);
            int? height = SpatialSize(input.Dimensions[2], options.InputSize, "height", input, path);
            int? width = SpatialSize(input.Dimensions[3], options.InputSize, "width", input, path);
            return new OnnxEncoderSpec(name, input.Name, output.Name, output.Rank, (int)output.Dimensions[^1], options.Pooling,
                height, width, options.EffectiveMean.ToArray(), options.EffectiveStd.ToArray(), options.Channels,
                Convert.ToHexStringLower(SHA256.HashData(bytes)))
            { ModelBytes = bytes };
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
        if (output.Rank != OutputRank || output.Dimensions[^1] != Dimension)
            throw new ArgumentException($"ONNX model '{Name}': output '{output}' no longer matches the saved [{OutputRank}-D, width {Dimension}].");
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
            // Mean pooling needs tokens, so the default skips a leading [N,D] output.
            output = pooling == OnnxPooling.Mean ? session.Outputs.FirstOrDefault(o => o.Rank == 3) : session.Outputs.FirstOrDefault();
            if (output is null)
                throw new ArgumentException($"ONNX model '{model}' has no {(pooling == OnnxPooling.Mean ? "rank-3 [N,T,D] " : "")}output; " +
                    $"its outputs are: {string.Join("; ", session.Outputs)}.");
        }
        if (!output.IsTensor || output.ElementType != OnnxElementType.Float || output.Rank is not (2 or 3))
            throw new ArgumentException($"ONNX model '{model}': output '{output}' must be a float tensor [N,D] or [N,T,D].");
        if (output.Dimensions[^1] < 1)
            throw new ArgumentException($"ONNX model '{model}': output '{output}' must have a fixed embedding width D (last dimension).");
        if (pooling == OnnxPooling.Mean && output.Rank != 3)
            throw new ArgumentException($"ONNX model '{model}': mean pooling needs a [N,T,D] token output, but '{output}' is [N,D].");
        if (pooling == OnnxPooling.Mean && output.Dimensions[1] is >= 0 and < 2)
            throw new ArgumentException($"ONNX model '{model}': mean pooling averages tokens 1..T-1, but output '{output}' has T < 2.");
        return (input, output);
    }

    private static int? SpatialSize(long declared, int? requested, string what, OnnxTensorInfo input, string model)
    {
        if (declared < 0) return requested;
        if (requested is { } r && r != declared)
            throw new ArgumentException($"ONNX model '{model}': input size {r} was asked for, but input '{input}' has a fixed {what} of {declared}.");
        return checked((int)declared);
    }
}
