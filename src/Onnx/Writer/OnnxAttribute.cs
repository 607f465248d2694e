using Google.Protobuf;
using MlNetStem.Onnx.Proto;

namespace MlNetStem.Onnx.Writer;

/// <summary>A node attribute for <see cref="OnnxGraphBuilder.AddNode(string, string[], OnnxAttribute[])"/>.</summary>
public sealed class OnnxAttribute
{
    private readonly AttributeProto _proto;
    private readonly OnnxGraphBuilder? _graph;

    private OnnxAttribute(AttributeProto proto, OnnxGraphBuilder? graph = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(proto.Name, "name");
        _proto = proto;
        _graph = graph;
    }

    /// <summary>The attribute's name.</summary>
    public string Name => _proto.Name;

    /// <summary>An integer attribute.</summary>
    public static OnnxAttribute Int(string name, long value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

    /// <summary>A float attribute.</summary>
    public static OnnxAttribute Float(string name, float value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });

    /// <summary>A string attribute (UTF-8).</summary>
    public static OnnxAttribute String(string name, string value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });

    /// <summary>A list-of-integers attribute.</summary>
    public static OnnxAttribute Ints(string name, params long[] values) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } });

    /// <summary>A list-of-floats attribute.</summary>
    public static OnnxAttribute Floats(string name, params float[] values) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats, Floats = { values } });

    /// <summary>A list-of-strings attribute.</summary>
    public static OnnxAttribute Strings(string name, params string[] values) =>
        new(new AttributeProto
        {
            Name = name, Type = AttributeProto.Types.AttributeType.Strings,
            Strings = { values.Select(ByteString.CopyFromUtf8) },
        });

    /// <summary>A float tensor attribute (e.g. Constant's <c>value</c>).</summary>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public static OnnxAttribute Tensor(string name, float[] data, params long[] shape) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = TensorProtos.Create(name, data, shape) });

    /// <summary>An int64 tensor attribute.</summary>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public static OnnxAttribute Tensor(string name, long[] data, params long[] shape) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = TensorProtos.Create(name, data, shape) });

    /// <summary>
    /// A subgraph attribute (Loop's <c>body</c>, If's <c>then_branch</c>/<c>else_branch</c>). The
    /// subgraph is serialized when the model is, so it may still be filled in after this call.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="graph"/> is not a subgraph.</exception>
    public static OnnxAttribute Graph(string name, OnnxGraphBuilder graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (!graph.IsSubgraph)
            throw new ArgumentException("Graph attributes take builders made by CreateSubgraph.", nameof(graph));
        return new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Graph }, graph);
    }

    internal OnnxGraphBuilder? Subgraph => _graph;

    internal AttributeProto ToProto()
    {
        var proto = _proto.Clone();
        if (_graph != null) proto.G = _graph.ToGraphProto();
        return proto;
    }
}
