namespace MlNetStem.Data;

/// <summary>Declares the shape of a <c>float[]</c> property (otherwise taken from the first row).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class VectorSizeAttribute(params int[] dimensions) : Attribute
{
    /// <summary>Tensor dimensions per row.</summary>
    public int[] Dimensions { get; } = dimensions;
}
