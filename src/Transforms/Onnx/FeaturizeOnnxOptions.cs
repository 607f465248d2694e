namespace MlNetStem.Transforms.Onnx;

/// <summary>Options of <see cref="FeaturizeOnnxEstimator"/>.</summary>
/// <param name="OutputColumn">Embedding column to write: the encoders' pooled outputs, concatenated in order.</param>
/// <param name="InputColumn">Patch column: float RGB <c>[3,H,W]</c> in [0, 1], as written by LoadPatches.</param>
/// <param name="Encoders">One or more encoders (several are concatenated, as Stem does with UNI and CONCH).</param>
/// <param name="BatchSize">Patches per ONNX Runtime call.</param>
/// <param name="CacheDirectory">
/// Optional folder of cached embeddings, one small file per patch and encoder, keyed by the
/// encoder's file hash, its preprocessing and the patch pixels. Unreadable or corrupt entries
/// are recomputed; a folder that cannot be written is an error. Not saved with the model
/// (see <see cref="FeaturizeOnnxTransformer.WithCacheDirectory"/>).
/// </param>
/// <param name="DihedralViews">
/// Embed the 8 flips/rotations of each (square) patch: the output is then <c>[8, D]</c> per spot, view 0 the patch
/// itself, as Stem's augmentation (diffusion trainers train on every view; select view 0 for a regressor).
/// </param>
public sealed record FeaturizeOnnxOptions(
    string OutputColumn,
    string InputColumn,
    IReadOnlyList<OnnxEncoderOptions> Encoders,
    int BatchSize = 32,
    string? CacheDirectory = null,
    bool DihedralViews = false)
{
    /// <summary>Options for encoders given by path only, every other choice at its default.</summary>
    public static FeaturizeOnnxOptions ForModels(string outputColumn, string inputColumn, params string[] modelPaths)
    {
        ArgumentNullException.ThrowIfNull(modelPaths);
        return new FeaturizeOnnxOptions(outputColumn, inputColumn, modelPaths.Select(p => new OnnxEncoderOptions(p)).ToArray());
    }

    /// <summary>Checks the values that need no model file.</summary>
    /// <exception cref="ArgumentException">Empty column names, no encoder, a batch size outside 1–4096, or an invalid encoder.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(OutputColumn)) throw new ArgumentException("FeaturizeOnnx needs an output column name.");
        if (string.IsNullOrWhiteSpace(InputColumn)) throw new ArgumentException("FeaturizeOnnx needs an input column name.");
        if (Encoders is null || Encoders.Count == 0) throw new ArgumentException("FeaturizeOnnx needs at least one ONNX model.");
        if (BatchSize is < 1 or > 4096) throw new ArgumentException($"FeaturizeOnnx batch size must be 1–4096, got {BatchSize}.");
        if (CacheDirectory is not null && string.IsNullOrWhiteSpace(CacheDirectory))
            throw new ArgumentException("FeaturizeOnnx cache directory is blank; pass null for no cache.");
        foreach (var encoder in Encoders)
        {
            if (encoder is null) throw new ArgumentException("FeaturizeOnnx encoder list contains null.");
            encoder.Validate();
        }
    }
}
