namespace MlNetStem.Transforms.Onnx;

/// <summary>How FeaturizeOnnx feeds an encoder, decided once when the estimator inspects the model and saved with it.</summary>
public enum OnnxBatching
{
    /// <summary>The model's batch dimension is symbolic: batches of <see cref="FeaturizeOnnxOptions.BatchSize"/> patches.</summary>
    Symbolic,

    /// <summary>
    /// The model declared a fixed batch (often 1, e.g. ML.NET's ResNet18); its input and output shapes were rewritten to a
    /// symbolic batch, and a batch of 2 was checked to give the same embeddings as the original model.
    /// </summary>
    MadeSymbolic,

    /// <summary>
    /// The model's fixed batch could not be made symbolic (a node hard-codes it): each run feeds exactly that many patches
    /// (one at a time for a batch of 1), padding the last run with zeros.
    /// </summary>
    Fixed,
}
