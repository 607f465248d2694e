namespace MlNetStem.Torch.Tests;

/// <summary>Every differentiable op's autograd gradient against central finite differences in Float64.</summary>
public sealed class GradientCheckTests
{
    private const double H = 1e-6;
    private const double Tolerance = 1e-6;

    /// <summary>An op under test: input shapes, whether inputs must be positive, and the function.</summary>
    public sealed record Case(string Name, long[][] Shapes, Func<Tensor[], Tensor> F, bool Positive = false)
    {
        public override string ToString() => Name;
    }

    private static readonly Dictionary<string, Case> Cases = new[]
    {
        new Case("add", [[2, 3], [3]], x => x[0] + x[1]),
        new Case("sub", [[2, 3], [2, 1]], x => x[0] - x[1]),
        new Case("mul", [[2, 3], [2, 3]], x => x[0] * x[1]),
        new Case("div", [[2, 3], [3]], x => x[0] / x[1], Positive: true),
        new Case("pow_tensor", [[2, 3], [2, 3]], x => x[0].Pow(x[1]), Positive: true),
        new Case("maximum", [[2, 3], [2, 3]], x => x[0].Maximum(x[1])),
        new Case("minimum", [[2, 3], [2, 3]], x => x[0].Minimum(x[1])),
        new Case("add_scalar", [[2, 3]], x => x[0] + 1.5),
        new Case("sub_scalar", [[2, 3]], x => x[0] - 1.5),
        new Case("rsub_scalar", [[2, 3]], x => 1.5 - x[0]),
        new Case("mul_scalar", [[2, 3]], x => x[0] * -2.5),
        new Case("div_scalar", [[2, 3]], x => x[0] / 4.0),
        new Case("rdiv_scalar", [[2, 3]], x => 2.0 / x[0], Positive: true),
        new Case("pow_scalar", [[2, 3]], x => x[0].Pow(3)),
        new Case("neg", [[2, 3]], x => -x[0]),
        new Case("exp", [[2, 3]], x => x[0].Exp()),
        new Case("log", [[2, 3]], x => x[0].Log(), Positive: true),
        new Case("sin", [[2, 3]], x => x[0].Sin()),
        new Case("cos", [[2, 3]], x => x[0].Cos()),
        new Case("sqrt", [[2, 3]], x => x[0].Sqrt(), Positive: true),
        new Case("rsqrt", [[2, 3]], x => x[0].Rsqrt(), Positive: true),
        new Case("square", [[2, 3]], x => x[0].Square()),
        new Case("abs", [[2, 3]], x => x[0].Abs()),
        new Case("tanh", [[2, 3]], x => x[0].Tanh()),
        new Case("sigmoid", [[2, 3]], x => x[0].Sigmoid()),
        new Case("relu", [[2, 3]], x => x[0].Relu()),
        new Case("silu", [[2, 3]], x => x[0].Silu()),
        new Case("gelu_tanh", [[2, 3]], x => x[0].Gelu()),
        new Case("gelu_exact", [[2, 3]], x => x[0].Gelu(tanhApproximation: false)),
        new Case("clamp", [[3, 4]], x => x[0].Clamp(-0.5, 0.5)),
        new Case("matmul_2d", [[2, 3], [3, 4]], x => x[0].Matmul(x[1])),
        new Case("matmul_batched", [[2, 2, 3], [3, 2]], x => x[0].Matmul(x[1])),
        new Case("matmul_vector", [[3], [3, 2]], x => x[0].Matmul(x[1])),
        new Case("linear", [[2, 3], [4, 3], [4]], x => Tensor.Linear(x[0], x[1], x[2])),
        new Case("linear_no_bias", [[2, 2, 3], [4, 3]], x => Tensor.Linear(x[0], x[1])),
        new Case("layer_norm_affine", [[2, 5], [5], [5]], x => Tensor.LayerNorm(x[0], [5], x[1], x[2])),
        new Case("layer_norm_plain", [[3, 2, 4]], x => Tensor.LayerNorm(x[0], [4])),
        new Case("softmax_last", [[2, 4]], x => x[0].Softmax(-1)),
        new Case("softmax_first", [[3, 2]], x => x[0].Softmax(0)),
        new Case("log_softmax", [[2, 4]], x => x[0].LogSoftmax(1)),
        new Case("sum_all", [[2, 3]], x => x[0].Sum()),
        new Case("mean_all", [[2, 3]], x => x[0].Mean()),
        new Case("sum_dim_keepdim", [[2, 3, 2]], x => x[0].Sum(1, keepDim: true)),
        new Case("mean_dims", [[2, 3, 2]], x => x[0].Mean([0, 2])),
        new Case("mse_loss", [[2, 3], [2, 3]], x => Tensor.MseLoss(x[0], x[1])),
        new Case("reshape", [[2, 3]], x => x[0].Reshape(3, -1).Sin()),
        new Case("view", [[2, 3]], x => x[0].View(6).Sin()),
        new Case("permute", [[2, 3, 4]], x => x[0].Permute(2, 0, 1).Sin()),
        new Case("transpose", [[2, 3]], x => x[0].Transpose(0, 1).Matmul(x[0])),
        new Case("cat", [[2, 3], [2, 1]], x => Tensor.Cat([x[0], x[1]], 1).Sin()),
        new Case("chunk", [[2, 5]], x => x[0].Chunk(2, 1)[1].Exp()),
        new Case("narrow", [[4, 3]], x => x[0].Narrow(0, 1, 2).Exp()),
        new Case("index_select", [[4, 3]], x => x[0].IndexSelect(0, Tensor.FromArray(new long[] { 3, 0, 3 }, [3])).Sin()),
        new Case("gather", [[2, 3]], x => x[0].Gather(1, Tensor.FromArray(new long[] { 2, 2, 0, 1, 0, 1 }, [2, 3])).Sin()),
        new Case("unsqueeze_expand", [[3]], x => x[0].Unsqueeze(0).Expand(2, 3).Sin()),
        new Case("squeeze", [[3, 1]], x => x[0].Squeeze(1).Sin()),
        new Case("where", [[2, 3], [2, 3]], x => Tensor.Where(x[0].Gt(x[1]), x[0].Sin(), x[1].Cos())),
        new Case("clone_contiguous", [[2, 3]], x => x[0].Transpose(0, 1).Contiguous().Clone().Sin()),
        new Case("attention", [[2, 4], [2, 4], [2, 4]], x =>
            x[0].Matmul(x[1].Transpose(0, 1)).Div(2).Softmax(-1).Matmul(x[2])),
    }.ToDictionary(c => c.Name);

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Op_Gradient_MatchesFiniteDifferences(string name)
    {
        var (error, where) = WorstError(Cases[name]);
        Assert.True(error < Tolerance, $"{name}: {where}");
    }

    [Fact]
    public void GradientCheck_GraphWithDetachedPath_IsDetected()
    {
        // x.Detach() * x has autograd gradient x but true derivative 2x: the checker must notice.
        var broken = new Case("broken", [[2, 3]], x => x[0].Detach() * x[0]);
        var (error, _) = WorstError(broken);
        Assert.True(error > 0.1, $"the checker missed a wrong gradient (error {error})");
    }

    private static (double Error, string Where) WorstError(Case c)
    {
        using var scope = Tensor.NewScope();
        using var gen = new Generator(seed: 1234);
        var values = c.Shapes.Select(s => Draw(s, gen, c.Positive)).ToArray();

        // Random output weights make every output element matter to the checked scalar.
        long[] outShape;
        using (var probe = Tensor.NewScope())
        {
            var y = c.F(values.Select((v, i) => Tensor.FromArray(v, c.Shapes[i])).ToArray());
            outShape = y.Shape.ToArray();
        }
        var weights = Tensor.RandN(outShape, gen, DType.Float64).ToDoubleArray();

        var inputs = values.Select((v, i) => Tensor.FromArray(v, c.Shapes[i]).WithRequiresGrad()).ToArray();
        Objective(c, inputs, weights, outShape).Backward();

        var worst = (Error: 0.0, Where: "ok");
        for (var k = 0; k < inputs.Length; k++)
        {
            var analytic = inputs[k].Grad()?.ToDoubleArray();
            if (analytic is null) return (double.PositiveInfinity, $"input {k} got no gradient");
            for (var i = 0; i < values[k].Length; i++)
            {
                var plus = Evaluate(c, values, k, i, +H, weights, outShape);
                var minus = Evaluate(c, values, k, i, -H, weights, outShape);
                var numeric = (plus - minus) / (2 * H);
                var err = Math.Abs(numeric - analytic[i]) / Math.Max(1.0, Math.Abs(numeric));
                if (err > worst.Error)
                    worst = (err, $"d/d input{k}[{i}]: autograd {analytic[i]:G10} vs finite difference {numeric:G10}");
            }
        }
        return worst;
    }

    private static double[] Draw(long[] shape, Generator gen, bool positive)
    {
        using var t = positive ? Tensor.Rand(shape, gen, DType.Float64) : Tensor.RandN(shape, gen, DType.Float64);
        var v = t.ToDoubleArray();
        return positive ? v.Select(x => 0.5 + x).ToArray() : v;
    }

    private static Tensor Objective(Case c, Tensor[] inputs, double[] weights, long[] outShape) =>
        (c.F(inputs) * Tensor.FromArray(weights, outShape)).Sum();

    private static double Evaluate(Case c, double[][] values, int k, int i, double delta, double[] weights, long[] outShape)
    {
        using var scope = Tensor.NewScope();
        using var noGrad = new NoGradScope();
        var inputs = values.Select((v, j) =>
        {
            var copy = (double[])v.Clone();
            if (j == k) copy[i] += delta;
            return Tensor.FromArray(copy, c.Shapes[j]);
        }).ToArray();
        return Objective(c, inputs, weights, outShape).Item();
    }
}
