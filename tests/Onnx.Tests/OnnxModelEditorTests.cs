using Google.Protobuf;
using MlNetStem.Onnx.Proto;
using MlNetStem.Onnx.Writer;

namespace MlNetStem.Onnx.Tests;

public sealed class OnnxModelEditorTests
{
    /// <summary>x[batch,3] → Relu → y[batch,3], plus a weight w listed among the inputs as IR-3 models do, and a shape hint.</summary>
    private static byte[] FixedBatchModel(OnnxDim batch)
    {
        var g = new OnnxGraphBuilder("fixed");
        string x = g.AddInput("x", OnnxElementType.Float, batch, 3);
        g.AddNode("Relu", "", [x], ["y"]);
        g.AddOutput("y", OnnxElementType.Float, batch, 3);
        var proto = ModelProto.Parser.ParseFrom(g.ToBytes());
        var hint = proto.Graph.Output[0].Clone();
        hint.Name = "hint";
        proto.Graph.ValueInfo.Add(hint);
        return proto.ToByteArray();
    }

    [Fact]
    public void MakeBatchSymbolic_FixedBatch_BecomesSymbolicOnInputAndOutput_AndRunsAtAnotherBatch()
    {
        var (edited, batch) = OnnxModelEditor.MakeBatchSymbolic(FixedBatchModel(1), "x");
        Assert.Equal(1, batch);
        var proto = ModelProto.Parser.ParseFrom(edited);
        Assert.Equal("N", proto.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal("N", proto.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Empty(proto.Graph.ValueInfo);   // stale hints carrying the old batch are dropped
        using var session = OnnxSession.FromBytes(edited);
        Assert.Equal(-1, session.Inputs[0].Dimensions[0]);
        var y = session.Run(new Dictionary<string, OnnxTensor> { ["x"] = OnnxTensor.Create(new[] { -1f, 2, -3, 4, -5, 6 }, 2, 3) }, "y")["y"];
        Assert.Equal([0f, 2, 0, 4, 0, 6], y.GetData<float>());
    }

    [Fact]
    public void MakeBatchSymbolic_SymbolicOrUnknownInput_IsRefusedNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => OnnxModelEditor.MakeBatchSymbolic(FixedBatchModel("N"), "x"));
        Assert.Contains("Input 'x' has no fixed batch dimension", error.Message);
        Assert.Contains("'image' is not an input", Assert.Throws<ArgumentException>(() => OnnxModelEditor.MakeBatchSymbolic(FixedBatchModel(1), "image")).Message);
        Assert.Throws<InvalidDataException>(() => OnnxModelEditor.MakeBatchSymbolic([1, 2, 3], "x"));
    }
}
