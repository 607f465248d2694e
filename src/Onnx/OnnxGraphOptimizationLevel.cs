namespace MlNetStem.Onnx;

/// <summary>ORT's <c>GraphOptimizationLevel</c>.</summary>
public enum OnnxGraphOptimizationLevel
{
    /// <summary>No graph rewriting.</summary>
    Disabled = 0,
    /// <summary>Semantics-preserving basic rewrites (constant folding, redundant node removal).</summary>
    Basic = 1,
    /// <summary>Basic plus operator fusions.</summary>
    Extended = 2,
    /// <summary>Everything, including layout optimizations.</summary>
    All = 99,
}
