namespace MlNetStem.Pipeline;

/// <summary>
/// A fitted component that can write itself as a standalone ONNX model (its input column →
/// its output column), for deployment in stock ONNX Runtime or ML.NET's ApplyOnnxModel.
/// The core only moves the bytes; the trainer owns the graph.
/// </summary>
public interface IOnnxExportableTransformer : ITransformer
{
    /// <summary>The serialized ONNX model.</summary>
    byte[] ExportOnnx();
}
