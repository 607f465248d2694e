namespace MlNetStem.Onnx;

/// <summary>What a model declares for one of its inputs or outputs.</summary>
/// <param name="Name">The value's name in the graph.</param>
/// <param name="IsTensor">False for sequences, maps and other non-tensor values.</param>
/// <param name="ElementType">Element type; <see cref="OnnxElementType.Undefined"/> when not a tensor.</param>
/// <param name="Dimensions">Declared dimensions, -1 where a dimension is symbolic or unknown.</param>
/// <param name="SymbolicDimensions">The symbolic name of each dimension ("" when fixed or unnamed).</param>
public sealed record OnnxTensorInfo(
    string Name,
    bool IsTensor,
    OnnxElementType ElementType,
    IReadOnlyList<long> Dimensions,
    IReadOnlyList<string> SymbolicDimensions)
{
    /// <summary>Number of dimensions.</summary>
    public int Rank => Dimensions.Count;

    /// <summary>Readable form, e.g. <c>x: Float[N,4]</c>.</summary>
    public override string ToString() =>
        $"{Name}: {ElementType}[{string.Join(",", Dimensions.Select((d, i) =>
            d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture)
                   : SymbolicDimensions[i].Length > 0 ? SymbolicDimensions[i] : "?"))}]";
}
