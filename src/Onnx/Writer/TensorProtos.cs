using System.Runtime.InteropServices;
using Google.Protobuf;
using MlNetStem.Onnx.Proto;

namespace MlNetStem.Onnx.Writer;

/// <summary>Builds TensorProto messages; data goes to raw_data (little-endian, as ONNX specifies).</summary>
internal static class TensorProtos
{
    public static TensorProto Create<T>(string name, T[] data, long[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"Tensor '{name}': negative dimension in [{OnnxTensor.Format(shape)}].");
            count = checked(count * d);
        }
        if (count != data.LongLength)
            throw new ArgumentException(
                $"Tensor '{name}': shape [{OnnxTensor.Format(shape)}] holds {count} elements but {data.Length} were given.");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian.");
        var proto = new TensorProto
        {
            Name = name,
            DataType = (int)OnnxTensor.ElementTypeOf<T>(),
            RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())),
        };
        proto.Dims.Add(shape);
        return proto;
    }
}
