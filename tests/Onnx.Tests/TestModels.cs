using MlNetStem.Onnx.Writer;

namespace MlNetStem.Onnx.Tests;

/// <summary>Small models built with the project's writer, plus plain C# references for them.</summary>
internal static class TestModels
{
    public const int MlpIn = 4, MlpHidden = 8, MlpOut = 3;

    public sealed record Mlp(byte[] Bytes, float[] W1, float[] B1, float[] W2, float[] B2)
    {
        public float[] Expected(float[] x, int n)
        {
            var h = Tests.Reference.Linear(x, n, MlpIn, W1, B1, MlpHidden);
            for (int i = 0; i < h.Length; i++) h[i] = Math.Max(0, h[i]);
            return Tests.Reference.Linear(h, n, MlpHidden, W2, B2, MlpOut);
        }
    }

    /// <summary>x[N,4] → MatMul/Add/Relu → MatMul/Add → y[N,3].</summary>
    public static Mlp BuildMlp(int seed = 1)
    {
        var rng = new Random(seed);
        var w1 = Reference.RandomArray(rng, MlpIn * MlpHidden);
        var b1 = Reference.RandomArray(rng, MlpHidden);
        var w2 = Reference.RandomArray(rng, MlpHidden * MlpOut);
        var b2 = Reference.RandomArray(rng, MlpOut);
        var g = new OnnxGraphBuilder("mlp");
        string x = g.AddInput("x", OnnxElementType.Float, "N", MlpIn);
        string h = g.AddNode("Relu", [g.Linear(x, w1, MlpIn, MlpHidden, b1, "fc1")]);
        string y = g.Linear(h, w2, MlpHidden, MlpOut, b2, "fc2");
        // A named output keeps the model's interface stable whatever names the layers get.
        g.AddNode("Identity", "", [y], ["y"]);
        g.AddOutput("y", OnnxElementType.Float, "N", MlpOut);
        return new Mlp(g.ToBytes(), w1, b1, w2, b2);
    }
}
