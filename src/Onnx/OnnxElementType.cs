namespace MlNetStem.Onnx;

/// <summary>Tensor element types; values equal ONNX's <c>TensorProto.DataType</c> and ORT's enum.</summary>
public enum OnnxElementType
{
    /// <summary>Unknown, or not a tensor.</summary>
    Undefined = 0,
    /// <summary>32-bit float (<see cref="float"/>).</summary>
    Float = 1,
    /// <summary><see cref="byte"/>.</summary>
    UInt8 = 2,
    /// <summary><see cref="sbyte"/>.</summary>
    Int8 = 3,
    /// <summary><see cref="ushort"/>.</summary>
    UInt16 = 4,
    /// <summary><see cref="short"/>.</summary>
    Int16 = 5,
    /// <summary><see cref="int"/>.</summary>
    Int32 = 6,
    /// <summary><see cref="long"/>.</summary>
    Int64 = 7,
    /// <summary>Strings (not supported by <see cref="OnnxTensor"/>).</summary>
    String = 8,
    /// <summary><see cref="bool"/>, one byte per element.</summary>
    Bool = 9,
    /// <summary>IEEE half (not supported by <see cref="OnnxTensor"/>).</summary>
    Float16 = 10,
    /// <summary><see cref="double"/>.</summary>
    Double = 11,
    /// <summary><see cref="uint"/>.</summary>
    UInt32 = 12,
    /// <summary><see cref="ulong"/>.</summary>
    UInt64 = 13,
}
