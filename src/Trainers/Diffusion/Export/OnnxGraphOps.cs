using MlNetStem.Onnx;
using MlNetStem.Onnx.Writer;

namespace MlNetStem.Trainers.Diffusion.Export;

/// <summary>The few opset-17 node patterns the diffusion graphs repeat, bound to one graph (main graph or loop body).</summary>
internal sealed class OnnxGraphOps(OnnxGraphBuilder graph)
{
    public OnnxGraphBuilder Graph { get; } = graph;

    public string Node(string op, params string[] inputs) => Graph.AddNode(op, inputs);

    public string Add(string a, string b) => Graph.AddNode("Add", [a, b]);

    public string Sub(string a, string b) => Graph.AddNode("Sub", [a, b]);

    public string Mul(string a, string b) => Graph.AddNode("Mul", [a, b]);

    public string Div(string a, string b) => Graph.AddNode("Div", [a, b]);

    public string Scalar(string name, double value) => Graph.AddInitializer(name, [(float)value]);

    public string Floats(string name, float[] values, params long[] shape) => Graph.AddInitializer(name, values, shape);

    public string Int64s(string name, params long[] values) => Graph.AddInitializer(name, values, values.Length);

    public string Int64(string name, long value) => Graph.AddInitializer(name, [value]);

    public string Unsqueeze(string x, params long[] axes) => Graph.AddNode("Unsqueeze", [x, Int64s("axes", axes)]);

    public string Squeeze(string x, params long[] axes) => Graph.AddNode("Squeeze", [x, Int64s("axes", axes)]);

    public string Reshape(string x, params long[] shape) => Graph.AddNode("Reshape", [x, Int64s("shape", shape)]);

    public string Transpose(string x, params long[] perm) => Graph.AddNode("Transpose", [x], OnnxAttribute.Ints("perm", perm));

    /// <summary>Equal parts along <paramref name="axis"/>, as <c>Tensor.Chunk</c>.</summary>
    public string[] Split(string x, int parts, long axis) => Graph.AddNode("Split", [x], parts, OnnxAttribute.Int("axis", axis));

    /// <summary>Element <paramref name="index"/> (a value name) along <paramref name="axis"/>, dropping that axis when the index is a scalar.</summary>
    public string Gather(string x, string index, long axis = 0) => Graph.AddNode("Gather", [x, index], OnnxAttribute.Int("axis", axis));

    public string Cast(string x, OnnxElementType to) => Graph.AddNode("Cast", [x], OnnxAttribute.Int("to", (long)to));

    public string ReduceMean(string x, long axis) =>
        Graph.AddNode("ReduceMean", [x], OnnxAttribute.Ints("axes", axis), OnnxAttribute.Int("keepdims", 0));

    /// <summary>LayerNorm without affine over the last axis (the scale input is a shared constant of ones).</summary>
    public string Norm(string x, string unitScale, double eps) =>
        Graph.AddNode("LayerNormalization", [x, unitScale], OnnxAttribute.Int("axis", -1), OnnxAttribute.Float("epsilon", (float)eps));
}
