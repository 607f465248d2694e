namespace MlNetStem.Torch;

/// <summary>Element types the binding supports. The numeric values are stored in state dicts: never renumber.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float, the training default.</summary>
    Float32 = 0,

    /// <summary>64-bit IEEE float (gradient checks, reference computations).</summary>
    Float64 = 1,

    /// <summary>64-bit signed integer (indices, random integers).</summary>
    Int64 = 2,

    /// <summary>Boolean (comparison results, masks for <see cref="Tensor.Where"/>).</summary>
    Bool = 3,
}
