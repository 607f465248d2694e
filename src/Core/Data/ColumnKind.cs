namespace MlNetStem.Data;

/// <summary>The kinds of values a column can hold.</summary>
public enum ColumnKind
{
    /// <summary>32-bit float scalar.</summary>
    Float32,
    /// <summary>64-bit float scalar.</summary>
    Float64,
    /// <summary>32-bit integer scalar.</summary>
    Int32,
    /// <summary>64-bit integer scalar.</summary>
    Int64,
    /// <summary>Boolean scalar.</summary>
    Boolean,
    /// <summary>UTF-16 string.</summary>
    Text,
    /// <summary>A reference to an image or slide on disk (<see cref="SlideReference"/>).</summary>
    Image,
    /// <summary>Fixed-shape tensor of 32-bit floats, stored row-major, flattened per row.</summary>
    FloatTensor,
}
