using Google.Protobuf;
using MlNetStem.Onnx.Proto;

namespace MlNetStem.Onnx.Writer;

/// <summary>Edits serialized ONNX models without rebuilding them.</summary>
public static class OnnxModelEditor
{
    /// <summary>
    /// Renames values of a model (graph inputs, outputs, and every use of them by nodes, subgraphs included), e.g. to name
    /// an exported model's inputs and outputs after the ML.NET columns that <c>ApplyOnnxModel</c> binds by name.
    /// </summary>
    /// <exception cref="ArgumentException">A name to rename is not an input or output of the graph, a new name is empty,
    /// or a new name is already used by another value of the graph.</exception>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model.</exception>
    public static byte[] RenameValues(byte[] model, IReadOnlyDictionary<string, string> renames)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(renames);
        var proto = Parse(model);
        var graph = proto.Graph ?? throw new InvalidDataException("The ONNX model has no graph.");
        var io = graph.Input.Select(v => v.Name).Concat(graph.Output.Select(v => v.Name)).ToHashSet(StringComparer.Ordinal);
        var used = AllNames(graph).ToHashSet(StringComparer.Ordinal);
        foreach (var (from, to) in renames)
        {
            if (!io.Contains(from)) throw new ArgumentException($"'{from}' is not an input or output of the ONNX graph.", nameof(renames));
            if (string.IsNullOrWhiteSpace(to)) throw new ArgumentException($"The new name of '{from}' is empty.", nameof(renames));
            if (to != from && used.Contains(to) && !renames.ContainsKey(to))
                throw new ArgumentException($"Cannot rename '{from}' to '{to}': the graph already has a value of that name.", nameof(renames));
        }
        Rename(graph, renames);
        return proto.ToByteArray();
    }

    /// <summary>
    /// Makes a fixed batch dimension symbolic: the first dimension of <paramref name="inputName"/>, and of every other
    /// graph input and output whose first dimension has the same fixed size, becomes <paramref name="symbol"/>. Intermediate
    /// shape hints (value_info) are dropped, since they carry the old batch; ONNX Runtime infers them again. The graph itself
    /// is not changed, so a node that hard-codes the batch (a Reshape to [1, -1]) still fails or misbehaves at another batch:
    /// check the result by running it.
    /// </summary>
    /// <returns>The edited model, and the fixed batch size it had.</returns>
    /// <exception cref="ArgumentException"><paramref name="inputName"/> is not a graph input, or its first dimension is not a fixed size.</exception>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model.</exception>
    public static (byte[] Model, long FixedBatch) MakeBatchSymbolic(byte[] model, string inputName, string symbol = "N")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputName);
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        var proto = Parse(model);
        var graph = proto.Graph ?? throw new InvalidDataException("The ONNX model has no graph.");
        // Models of IR version < 4 list initializers among the inputs too; those are weights, not batches.
        var weights = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var input = graph.Input.FirstOrDefault(v => v.Name == inputName && !weights.Contains(v.Name)) ??
            throw new ArgumentException($"'{inputName}' is not an input of the ONNX graph.", nameof(inputName));
        if (FirstDim(input) is not { DimValue: > 0 } first)
            throw new ArgumentException($"Input '{inputName}' has no fixed batch dimension to make symbolic.", nameof(inputName));
        long batch = first.DimValue;
        foreach (var value in graph.Input.Where(v => !weights.Contains(v.Name)).Concat(graph.Output))
            if (FirstDim(value) is { } dim && dim.DimValue == batch && dim.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
                dim.DimParam = symbol;
        graph.ValueInfo.Clear();
        return (proto.ToByteArray(), batch);
    }

    private static TensorShapeProto.Types.Dimension? FirstDim(ValueInfoProto value) =>
        value.Type?.TensorType?.Shape is { Dim.Count: > 0 } shape ? shape.Dim[0] : null;

    private static ModelProto Parse(byte[] model)
    {
        try
        {
            return ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"Not an ONNX model: {e.Message}", e);
        }
    }

    private static void Rename(GraphProto graph, IReadOnlyDictionary<string, string> renames)
    {
        string Map(string name) => renames.TryGetValue(name, out var to) ? to : name;
        foreach (var v in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo)) v.Name = Map(v.Name);
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++) node.Input[i] = Map(node.Input[i]);
            for (int i = 0; i < node.Output.Count; i++) node.Output[i] = Map(node.Output[i]);
            // Subgraphs (Loop bodies) may read outer values by name.
            foreach (var attribute in node.Attribute)
            {
                if (attribute.G is { } sub) Rename(sub, renames);
                foreach (var g in attribute.Graphs) Rename(g, renames);
            }
        }
    }

    private static IEnumerable<string> AllNames(GraphProto graph) =>
        graph.Input.Select(v => v.Name)
            .Concat(graph.Output.Select(v => v.Name))
            .Concat(graph.Initializer.Select(t => t.Name))
            .Concat(graph.Node.SelectMany(n => n.Input.Concat(n.Output)
                .Concat(n.Attribute.SelectMany(a => (a.G is null ? a.Graphs : a.Graphs.Append(a.G)).SelectMany(AllNames)))));
}
