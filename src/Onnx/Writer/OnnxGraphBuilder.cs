using Google.Protobuf;
using MlNetStem.Onnx.Proto;

namespace MlNetStem.Onnx.Writer;

/// <summary>
/// Builds an ONNX graph node by node and serializes it as a model. Nodes are kept in the
/// order they are added, and a node may only consume values that already exist, so the
/// graph is topologically sorted by construction. Value names are unique across the model
/// including subgraphs (see <see cref="UniqueName"/>), which ONNX requires.
/// </summary>
/// <example>
/// <code>
/// var g = new OnnxGraphBuilder("mlp");
/// string x = g.AddInput("x", OnnxElementType.Float, "N", 4);
/// string w = g.AddInitializer("w", weights, 4, 8);
/// string y = g.AddNode("Relu", [g.AddNode("MatMul", [x, w])]);
/// g.AddOutput(y, OnnxElementType.Float, "N", 8);
/// byte[] model = g.ToBytes();
/// </code>
/// </example>
public sealed class OnnxGraphBuilder
{
    /// <summary>The default-domain opset written unless changed with <see cref="SetOpset"/>.</summary>
    public const long DefaultOpset = 17;

    // IR version 8 is the one that goes with opset 17 (ONNX 1.12); ORT 1.30 reads it.
    private const long IrVersion = 8;

    private readonly OnnxGraphBuilder _root;
    private readonly HashSet<string> _valueNames;  // shared with subgraphs
    private readonly HashSet<string> _nodeNames;   // shared with subgraphs
    private readonly SortedDictionary<string, long> _opsets = new(StringComparer.Ordinal) { [""] = DefaultOpset };
    private readonly List<(string Key, string Value)> _metadata = [];
    private readonly List<ValueInfoProto> _inputs = [];
    private readonly List<ValueInfoProto> _outputs = [];
    private readonly List<TensorProto> _initializers = [];
    private readonly List<(NodeProto Node, OnnxAttribute[] Attributes)> _nodes = [];

    /// <summary>Starts a model whose main graph is called <paramref name="graphName"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="graphName"/> is empty.</exception>
    public OnnxGraphBuilder(string graphName = "main")
    {
        ArgumentException.ThrowIfNullOrEmpty(graphName);
        Name = graphName;
        _root = this;
        _valueNames = new HashSet<string>(StringComparer.Ordinal);
        _nodeNames = new HashSet<string>(StringComparer.Ordinal);
    }

    private OnnxGraphBuilder(string name, OnnxGraphBuilder parent)
    {
        Name = name;
        _root = parent._root;
        _valueNames = parent._valueNames;
        _nodeNames = parent._nodeNames;
        Parent = parent;
    }

    /// <summary>The graph's name.</summary>
    public string Name { get; }

    /// <summary>The enclosing graph for subgraphs, null for the main graph.</summary>
    public OnnxGraphBuilder? Parent { get; }

    /// <summary>True for graphs made by <see cref="CreateSubgraph"/>.</summary>
    public bool IsSubgraph => Parent != null;

    /// <summary>Producer name written into the model.</summary>
    public string ProducerName { get; set; } = "MlNetStem";

    /// <summary>Free-text description written into the model.</summary>
    public string DocString { get; set; } = "";

    /// <summary>Number of nodes added to this graph (not counting subgraphs).</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>
    /// A value name not used anywhere in the model yet: <paramref name="prefix"/> itself if free,
    /// else <c>prefix_1</c>, <c>prefix_2</c>... The name is reserved by this call.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> is empty.</exception>
    public string UniqueName(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        string name = prefix;
        for (int i = 1; !_valueNames.Add(name); i++) name = $"{prefix}_{i}";
        return name;
    }

    /// <summary>Sets the opset version imported for a domain ("" is the default ONNX domain).</summary>
    /// <exception cref="InvalidOperationException">Called on a subgraph (opsets belong to the model).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is below 1.</exception>
    public void SetOpset(string domain, long version)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        if (IsSubgraph) throw new InvalidOperationException("Opset imports belong to the model: set them on the main graph.");
        _opsets[domain] = version;
    }

    /// <summary>Adds a key/value pair to the model's metadata_props (e.g. provenance).</summary>
    /// <exception cref="InvalidOperationException">Called on a subgraph.</exception>
    public void AddMetadata(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (IsSubgraph) throw new InvalidOperationException("Metadata belongs to the model: add it on the main graph.");
        _metadata.Add((key, value));
    }

    /// <summary>
    /// Declares a graph input. <paramref name="shape"/> lists its dimensions (fixed sizes and
    /// symbolic names such as "N"); empty means a scalar, null an unknown shape.
    /// </summary>
    /// <returns><paramref name="name"/>, for chaining into nodes.</returns>
    /// <exception cref="ArgumentException">The name is empty or already used in the model.</exception>
    public string AddInput(string name, OnnxElementType type, params OnnxDim[]? shape)
    {
        Define(name);
        _inputs.Add(ValueInfo(name, type, shape));
        return name;
    }

    /// <summary>
    /// Declares an int64 graph input that has a default: an initializer of the same name (an "overridable initializer").
    /// ONNX Runtime lists it apart from the required inputs, so a caller that binds only those (ML.NET's ApplyOnnxModel)
    /// runs with the default, and any caller may still feed its own value under <paramref name="name"/>.
    /// </summary>
    /// <returns><paramref name="name"/>, for chaining into nodes.</returns>
    /// <exception cref="ArgumentException">The name is empty or already used in the model, or the data length does not match the shape.</exception>
    /// <exception cref="InvalidOperationException">Called on a subgraph (only the main graph's inputs can be fed).</exception>
    public string AddInputWithDefault(string name, long[] defaultValue, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (IsSubgraph) throw new InvalidOperationException("Inputs with a default belong to the main graph: add them there.");
        var proto = TensorProtos.Create(name, defaultValue, shape);   // validate before reserving the name
        Define(name);
        _inputs.Add(ValueInfo(name, OnnxElementType.Int64, shape.Select(d => (OnnxDim)d).ToArray()));
        _initializers.Add(proto);
        return name;
    }

    /// <summary>Declares an existing value as a graph output, with its type and optional shape.</summary>
    /// <exception cref="ArgumentException">No value of that name exists, or it is already an output.</exception>
    public void AddOutput(string name, OnnxElementType type, params OnnxDim[]? shape)
    {
        RequireDefined(name, "graph output");
        if (_outputs.Any(o => o.Name == name))
            throw new ArgumentException($"'{name}' is already an output of graph '{Name}'.", nameof(name));
        _outputs.Add(ValueInfo(name, type, shape));
    }

    /// <summary>Adds a float constant tensor (weights) under a name unique in the model.</summary>
    /// <returns>The name actually used (<paramref name="name"/>, suffixed if taken).</returns>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public string AddInitializer(string name, float[] data, params long[] shape) => AddTensor(name, data, shape);

    /// <summary>Adds an int64 constant tensor (shapes, axes, indices) under a name unique in the model.</summary>
    /// <returns>The name actually used (<paramref name="name"/>, suffixed if taken).</returns>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public string AddInitializer(string name, long[] data, params long[] shape) => AddTensor(name, data, shape);

    /// <summary>Adds a node with one output, named after the operator.</summary>
    /// <param name="opType">Operator, e.g. "MatMul".</param>
    /// <param name="inputs">Input value names; "" skips an optional input.</param>
    /// <param name="attributes">Node attributes.</param>
    /// <returns>The output's name.</returns>
    /// <exception cref="ArgumentException">An input does not exist yet, or an attribute is repeated.</exception>
    public string AddNode(string opType, string[] inputs, params OnnxAttribute[] attributes) =>
        AddNode(opType, inputs, 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputCount"/> generated output names.</summary>
    /// <returns>The outputs' names.</returns>
    /// <exception cref="ArgumentException">An input does not exist yet, or an attribute is repeated.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outputCount"/> is below 1.</exception>
    public string[] AddNode(string opType, string[] inputs, int outputCount, params OnnxAttribute[] attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputCount, 1);
        CheckNodeArguments(opType, inputs, attributes);
        string stem = opType.ToLowerInvariant();
        var outputs = new string[outputCount];
        for (int i = 0; i < outputCount; i++) outputs[i] = UniqueName(outputCount == 1 ? stem : $"{stem}_out{i}");
        Append(opType, "", inputs, outputs, attributes);
        return outputs;
    }

    /// <summary>Adds a node whose outputs get the given names ("" skips an optional output).</summary>
    /// <param name="opType">Operator, e.g. "Loop".</param>
    /// <param name="domain">Operator domain; "" for standard ONNX operators.</param>
    /// <param name="inputs">Input value names; "" skips an optional input.</param>
    /// <param name="outputs">Output value names, unused so far in the model.</param>
    /// <param name="attributes">Node attributes.</param>
    /// <exception cref="ArgumentException">An input does not exist, an output name is taken, or an attribute is repeated.</exception>
    public void AddNode(string opType, string domain, string[] inputs, string[] outputs, params OnnxAttribute[] attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(outputs);
        CheckNodeArguments(opType, inputs, attributes);
        foreach (string o in outputs) if (o.Length > 0) Define(o);
        Append(opType, domain, inputs, outputs, attributes);
    }

    /// <summary>
    /// Creates a subgraph (for Loop or If) that shares this model's name space; declare its
    /// inputs and outputs, add its nodes, then pass it with <see cref="OnnxAttribute.Graph"/>.
    /// It may read values of the enclosing graphs by name.
    /// </summary>
    public OnnxGraphBuilder CreateSubgraph(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new OnnxGraphBuilder(name, this);
    }

    /// <summary>Serializes the model.</summary>
    /// <exception cref="InvalidOperationException">Called on a subgraph, or the graph has no output.</exception>
    public byte[] ToBytes() => ToModelProto().ToByteArray();

    /// <summary>Writes the serialized model to <paramref name="stream"/>.</summary>
    /// <exception cref="InvalidOperationException">Called on a subgraph, or the graph has no output.</exception>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ToModelProto().WriteTo(stream);
    }

    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically: a temporary file in the same
    /// folder, then a rename, so readers never see a partial model.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called on a subgraph, or the graph has no output.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = ToBytes(); // serialize first: a failure leaves nothing behind
        string full = Path.GetFullPath(path);
        string temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    internal ModelProto ToModelProto()
    {
        if (IsSubgraph) throw new InvalidOperationException($"'{Name}' is a subgraph; save the main graph instead.");
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            ProducerVersion = "1",
            DocString = DocString,
            Graph = ToGraphProto(),
        };
        foreach (var (domain, version) in _opsets) model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        foreach (var (key, value) in _metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    internal GraphProto ToGraphProto()
    {
        if (_outputs.Count == 0) throw new InvalidOperationException($"Graph '{Name}' has no outputs.");
        var graph = new GraphProto { Name = Name };
        graph.Input.Add(_inputs.Select(i => i.Clone()));
        graph.Output.Add(_outputs.Select(o => o.Clone()));
        graph.Initializer.Add(_initializers.Select(t => t.Clone()));
        foreach (var (node, attributes) in _nodes)
        {
            var n = node.Clone();
            n.Attribute.Add(attributes.Select(a => a.ToProto()));
            graph.Node.Add(n);
        }
        return graph;
    }

    private string AddTensor<T>(string name, T[] data, long[] shape) where T : unmanaged
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var proto = TensorProtos.Create(name, data, shape); // validate before reserving the name
        proto.Name = UniqueName(name);
        _initializers.Add(proto);
        return proto.Name;
    }

    private void CheckNodeArguments(string opType, string[] inputs, OnnxAttribute[] attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(attributes);
        foreach (string i in inputs)
        {
            ArgumentNullException.ThrowIfNull(i, nameof(inputs));
            if (i.Length > 0) RequireDefined(i, $"input of {opType}");
        }
        var seen = new HashSet<string>();
        foreach (var a in attributes)
        {
            ArgumentNullException.ThrowIfNull(a, nameof(attributes));
            if (!seen.Add(a.Name)) throw new ArgumentException($"{opType}: attribute '{a.Name}' is given twice.", nameof(attributes));
            if (a.Subgraph != null && a.Subgraph.Parent != this)
                throw new ArgumentException(
                    $"{opType}: subgraph '{a.Subgraph.Name}' was created for another graph; create it with this graph's CreateSubgraph.",
                    nameof(attributes));
        }
    }

    private void Append(string opType, string domain, string[] inputs, string[] outputs, OnnxAttribute[] attributes)
    {
        string nodeName = opType;
        for (int i = 1; !_nodeNames.Add(nodeName); i++) nodeName = $"{opType}_{i}";
        var node = new NodeProto { OpType = opType, Name = nodeName, Domain = domain };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        _nodes.Add((node, (OnnxAttribute[])attributes.Clone()));
    }

    private void Define(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_valueNames.Add(name))
            throw new ArgumentException($"The name '{name}' is already used in this model; use UniqueName to get a free one.", nameof(name));
    }

    private void RequireDefined(string name, string role)
    {
        if (!_valueNames.Contains(name))
            throw new ArgumentException($"No value named '{name}' exists yet (used as {role}).", nameof(name));
    }

    private static ValueInfoProto ValueInfo(string name, OnnxElementType type, OnnxDim[]? shape)
    {
        if (type is OnnxElementType.Undefined)
            throw new ArgumentException($"'{name}' needs an element type.", nameof(type));
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (shape != null)
        {
            var s = new TensorShapeProto();
            foreach (var d in shape)
            {
                var dim = new TensorShapeProto.Types.Dimension();
                if (d.Size is long size) dim.DimValue = size;
                else if (d.Symbol is string symbol) dim.DimParam = symbol;
                s.Dim.Add(dim);
            }
            tensorType.Shape = s;
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}
