using MlNetStem.Torch.Interop;

namespace MlNetStem.Torch;

public sealed partial class Tensor
{
    private Tensor Unary(int op, string name, bool needsFloat = true)
    {
        if (needsFloat) ShapeRules.Floating(this, name);
        return Wrap(NativeMethods.mst_unary(op, Handle, out var r), r, name);
    }

    private Tensor Binary(int op, Tensor other, string name)
    {
        ArgumentNullException.ThrowIfNull(other);
        _ = Handle;
        _ = other.Handle;
        ShapeRules.SameDevice(this, other, name);
        ShapeRules.Broadcast(Shape, other.Shape, name);
        return Wrap(NativeMethods.mst_binary(op, Handle, other.Handle, out var r), r, name);
    }

    private Tensor ScalarOp(int op, double s, string name) =>
        Wrap(NativeMethods.mst_scalar(op, Handle, s, out var r), r, name);

    /// <summary>Elementwise sum with broadcasting.</summary>
    /// <exception cref="ArgumentException">The shapes cannot broadcast or the devices differ.</exception>
    public Tensor Add(Tensor other) => Binary(NativeOp.Add, other, "add");

    /// <summary>Elementwise difference with broadcasting.</summary>
    /// <exception cref="ArgumentException">The shapes cannot broadcast or the devices differ.</exception>
    public Tensor Sub(Tensor other) => Binary(NativeOp.Sub, other, "sub");

    /// <summary>Elementwise product with broadcasting.</summary>
    /// <exception cref="ArgumentException">The shapes cannot broadcast or the devices differ.</exception>
    public Tensor Mul(Tensor other) => Binary(NativeOp.Mul, other, "mul");

    /// <summary>Elementwise quotient with broadcasting.</summary>
    /// <exception cref="ArgumentException">The shapes cannot broadcast or the devices differ.</exception>
    public Tensor Div(Tensor other) => Binary(NativeOp.Div, other, "div");

    /// <summary>Elementwise power with broadcasting.</summary>
    /// <exception cref="ArgumentException">The shapes cannot broadcast or the devices differ.</exception>
    public Tensor Pow(Tensor exponent) => Binary(NativeOp.Pow, exponent, "pow");

    /// <summary>Elementwise maximum with broadcasting.</summary>
    public Tensor Maximum(Tensor other) => Binary(NativeOp.Maximum, other, "maximum");

    /// <summary>Elementwise minimum with broadcasting.</summary>
    public Tensor Minimum(Tensor other) => Binary(NativeOp.Minimum, other, "minimum");

    /// <summary>Elementwise <c>this &gt; other</c> as a Bool tensor.</summary>
    public Tensor Gt(Tensor other) => Binary(NativeOp.Gt, other, "gt");

    /// <summary>Elementwise <c>this &lt; other</c> as a Bool tensor.</summary>
    public Tensor Lt(Tensor other) => Binary(NativeOp.Lt, other, "lt");

    /// <summary>Elementwise <c>this &gt;= other</c> as a Bool tensor.</summary>
    public Tensor Ge(Tensor other) => Binary(NativeOp.Ge, other, "ge");

    /// <summary>Elementwise <c>this &lt;= other</c> as a Bool tensor.</summary>
    public Tensor Le(Tensor other) => Binary(NativeOp.Le, other, "le");

    /// <summary>Elementwise equality as a Bool tensor.</summary>
    public Tensor Eq(Tensor other) => Binary(NativeOp.Eq, other, "eq");

    /// <summary>Adds a scalar.</summary>
    public Tensor Add(double scalar) => ScalarOp(NativeOp.AddS, scalar, "add");

    /// <summary>Subtracts a scalar.</summary>
    public Tensor Sub(double scalar) => ScalarOp(NativeOp.SubS, scalar, "sub");

    /// <summary>Multiplies by a scalar.</summary>
    public Tensor Mul(double scalar) => ScalarOp(NativeOp.MulS, scalar, "mul");

    /// <summary>Divides by a scalar.</summary>
    public Tensor Div(double scalar) => ScalarOp(NativeOp.DivS, scalar, "div");

    /// <summary>Raises every element to <paramref name="exponent"/>.</summary>
    public Tensor Pow(double exponent) => ScalarOp(NativeOp.PowS, exponent, "pow");

    /// <summary>Negation.</summary>
    public Tensor Neg() => Unary(NativeOp.Neg, "neg", needsFloat: false);

    /// <summary>Elementwise e^x.</summary>
    public Tensor Exp() => Unary(NativeOp.Exp, "exp");

    /// <summary>Elementwise natural logarithm.</summary>
    public Tensor Log() => Unary(NativeOp.Log, "log");

    /// <summary>Elementwise sine.</summary>
    public Tensor Sin() => Unary(NativeOp.Sin, "sin");

    /// <summary>Elementwise cosine.</summary>
    public Tensor Cos() => Unary(NativeOp.Cos, "cos");

    /// <summary>Elementwise square root.</summary>
    public Tensor Sqrt() => Unary(NativeOp.Sqrt, "sqrt");

    /// <summary>Elementwise 1/sqrt(x).</summary>
    public Tensor Rsqrt() => Unary(NativeOp.Rsqrt, "rsqrt");

    /// <summary>Elementwise x².</summary>
    public Tensor Square() => Unary(NativeOp.Square, "square", needsFloat: false);

    /// <summary>Elementwise absolute value.</summary>
    public Tensor Abs() => Unary(NativeOp.Abs, "abs", needsFloat: false);

    /// <summary>Elementwise hyperbolic tangent.</summary>
    public Tensor Tanh() => Unary(NativeOp.Tanh, "tanh");

    /// <summary>Elementwise logistic sigmoid.</summary>
    public Tensor Sigmoid() => Unary(NativeOp.Sigmoid, "sigmoid");

    /// <summary>Elementwise max(x, 0).</summary>
    public Tensor Relu() => Unary(NativeOp.Relu, "relu");

    /// <summary>Elementwise x·sigmoid(x) (SiLU / swish).</summary>
    public Tensor Silu() => Unary(NativeOp.Silu, "silu");

    /// <summary>GELU; the tanh approximation (as in DiT) when <paramref name="tanhApproximation"/> is true, else the exact erf form.</summary>
    public Tensor Gelu(bool tanhApproximation = true) =>
        tanhApproximation ? Unary(NativeOp.GeluTanh, "gelu_tanh") : Unary(NativeOp.Gelu, "gelu");

    /// <summary>Clamps every element into [min, max]; a null bound is open.</summary>
    /// <exception cref="ArgumentException">Both bounds are null, or min exceeds max.</exception>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("Clamp needs at least one bound.");
        if (min > max) throw new ArgumentException($"Clamp: min ({min}) exceeds max ({max}).");
        var rc = NativeMethods.mst_clamp(Handle, min.HasValue ? 1 : 0, min ?? 0, max.HasValue ? 1 : 0, max ?? 0, out var r);
        return Wrap(rc, r, "clamp");
    }

    /// <summary>Matrix product with torch.matmul's rules (1-D vectors, batched broadcasting).</summary>
    /// <exception cref="ArgumentException">Inner dimensions, batch dimensions, dtypes or devices do not match; the message names both shapes.</exception>
    public Tensor Matmul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        ShapeRules.Matmul(Shape, other.Shape);
        ShapeRules.SameDType(this, other, "Matmul");
        ShapeRules.SameDevice(this, other, "Matmul");
        return Wrap(NativeMethods.mst_binary(NativeOp.Matmul, Handle, other.Handle, out var r), r, "matmul");
    }

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dimension does not exist.</exception>
    public Tensor Softmax(long dim)
    {
        ShapeRules.Floating(this, "Softmax");
        var d = ShapeRules.Dim(dim, Rank, "Softmax", Shape);
        return Wrap(NativeMethods.mst_softmax(Handle, d, 0, out var r), r, "softmax");
    }

    /// <summary>Log-softmax along <paramref name="dim"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dimension does not exist.</exception>
    public Tensor LogSoftmax(long dim)
    {
        ShapeRules.Floating(this, "LogSoftmax");
        var d = ShapeRules.Dim(dim, Rank, "LogSoftmax", Shape);
        return Wrap(NativeMethods.mst_softmax(Handle, d, 1, out var r), r, "log_softmax");
    }

    /// <summary>Sum of all elements (a scalar tensor).</summary>
    public Tensor Sum() => Wrap(NativeMethods.mst_reduce_all(NativeOp.Sum, Handle, out var r), r, "sum");

    /// <summary>Mean of all elements (a scalar tensor).</summary>
    public Tensor Mean()
    {
        ShapeRules.Floating(this, "Mean");
        return Wrap(NativeMethods.mst_reduce_all(NativeOp.Mean, Handle, out var r), r, "mean");
    }

    /// <summary>Sum along <paramref name="dim"/>.</summary>
    public Tensor Sum(long dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>Mean along <paramref name="dim"/>.</summary>
    public Tensor Mean(long dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Sum along several dimensions.</summary>
    /// <exception cref="ArgumentException">A dimension is out of range or repeated.</exception>
    public Tensor Sum(long[] dims, bool keepDim = false) => Reduce(NativeOp.Sum, dims, keepDim, "Sum");

    /// <summary>Mean along several dimensions.</summary>
    /// <exception cref="ArgumentException">A dimension is out of range or repeated.</exception>
    public Tensor Mean(long[] dims, bool keepDim = false)
    {
        ShapeRules.Floating(this, "Mean");
        return Reduce(NativeOp.Mean, dims, keepDim, "Mean");
    }

    private Tensor Reduce(int op, long[] dims, bool keepDim, string name)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var resolved = dims.Select(d => ShapeRules.Dim(d, Rank, name, Shape, nameof(dims))).ToArray();
        if (resolved.Distinct().Count() != resolved.Length)
            throw new ArgumentException($"{name}: dims [{string.Join(", ", dims)}] repeat a dimension.", nameof(dims));
        var rc = NativeMethods.mst_reduce_dims(op, Handle, resolved, resolved.Length, keepDim ? 1 : 0, out var r);
        return Wrap(rc, r, name.ToLowerInvariant());
    }

    /// <summary>x·wᵀ + b, as torch.nn.functional.linear.</summary>
    /// <param name="input">[..., in].</param>
    /// <param name="weight">[out, in].</param>
    /// <param name="bias">[out], or null.</param>
    /// <exception cref="ArgumentException">The shapes, dtypes or devices do not fit together.</exception>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2)
            throw new ArgumentException($"Linear: weight must be [out, in], got {ShapeRules.Format(weight.Shape)}.", nameof(weight));
        if (input.Rank < 1 || input.Shape[^1] != weight.Shape[1])
            throw new ArgumentException(
                $"Linear: input {ShapeRules.Format(input.Shape)} must end in {weight.Shape[1]} features to match weight {ShapeRules.Format(weight.Shape)}.",
                nameof(input));
        ShapeRules.SameDType(input, weight, "Linear");
        ShapeRules.SameDevice(input, weight, "Linear");
        if (bias is not null)
        {
            if (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0])
                throw new ArgumentException(
                    $"Linear: bias {ShapeRules.Format(bias.Shape)} must be [{weight.Shape[0]}] to match weight {ShapeRules.Format(weight.Shape)}.",
                    nameof(bias));
            ShapeRules.SameDType(input, bias, "Linear");
            ShapeRules.SameDevice(input, bias, "Linear");
        }
        using var lease = new HandleLease();
        var rc = NativeMethods.mst_linear(lease.Add(input), lease.Add(weight), lease.Add(bias), out var r);
        return Wrap(rc, r, "linear");
    }

    /// <summary>Layer normalization over the last dimensions given by <paramref name="normalizedShape"/>; weight and bias optional (elementwise affine off when null).</summary>
    /// <exception cref="ArgumentException">The trailing shape of <paramref name="input"/>, or the weight/bias shapes, do not match <paramref name="normalizedShape"/>.</exception>
    public static Tensor LayerNorm(Tensor input, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(normalizedShape);
        ShapeRules.Floating(input, "LayerNorm");
        var n = normalizedShape.Length;
        if (n == 0 || n > input.Rank || !input.Shape.Skip(input.Rank - n).SequenceEqual(normalizedShape))
            throw new ArgumentException(
                $"LayerNorm: input {ShapeRules.Format(input.Shape)} does not end in normalized shape {ShapeRules.Format(normalizedShape)}.",
                nameof(normalizedShape));
        foreach (var (t, name) in new[] { (weight, nameof(weight)), (bias, nameof(bias)) })
        {
            if (t is null) continue;
            if (!t.Shape.SequenceEqual(normalizedShape))
                throw new ArgumentException(
                    $"LayerNorm: {name} {ShapeRules.Format(t.Shape)} must equal normalized shape {ShapeRules.Format(normalizedShape)}.", name);
            ShapeRules.SameDevice(input, t, "LayerNorm");
        }
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "LayerNorm: eps must be positive.");
        using var lease = new HandleLease();
        var rc = NativeMethods.mst_layer_norm(lease.Add(input), normalizedShape, n, lease.Add(weight), lease.Add(bias), eps, out var r);
        return Wrap(rc, r, "layer_norm");
    }

    /// <summary>Mean squared error between equally shaped tensors (a scalar tensor).</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor MseLoss(Tensor prediction, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        // Broadcasting here is almost always a bug (torch only warns), so it is refused.
        if (!prediction.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException(
                $"MseLoss: prediction {ShapeRules.Format(prediction.Shape)} and target {ShapeRules.Format(target.Shape)} differ in shape.");
        ShapeRules.SameDevice(prediction, target, "MseLoss");
        return Wrap(NativeMethods.mst_binary(NativeOp.MseLoss, prediction.Handle, target.Handle, out var r), r, "mse_loss");
    }

    /// <summary>Picks <paramref name="ifTrue"/> where <paramref name="condition"/> holds, else <paramref name="ifFalse"/> (broadcasting).</summary>
    /// <exception cref="ArgumentException">The condition is not Bool, or the shapes cannot broadcast.</exception>
    public static Tensor Where(Tensor condition, Tensor ifTrue, Tensor ifFalse)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(ifTrue);
        ArgumentNullException.ThrowIfNull(ifFalse);
        if (condition.DType != DType.Bool)
            throw new ArgumentException($"Where: condition must be Bool, got {condition.DType}.", nameof(condition));
        var s = ShapeRules.Broadcast(condition.Shape, ifTrue.Shape, "Where");
        ShapeRules.Broadcast(s, ifFalse.Shape, "Where");
        ShapeRules.SameDevice(condition, ifTrue, "Where");
        ShapeRules.SameDevice(condition, ifFalse, "Where");
        var rc = NativeMethods.mst_where(condition.Handle, ifTrue.Handle, ifFalse.Handle, out var r);
        return Wrap(rc, r, "where");
    }

    /// <summary>Elementwise sum.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);

    /// <summary>Elementwise difference.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);

    /// <summary>Elementwise product.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);

    /// <summary>Elementwise quotient.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, double s) => a.Add(s);

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(double s, Tensor a) => a.Add(s);

    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, double s) => a.Sub(s);

    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(double s, Tensor a) => a.ScalarOp(NativeOp.RSubS, s, "rsub");

    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, double s) => a.Mul(s);

    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(double s, Tensor a) => a.Mul(s);

    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, double s) => a.Div(s);

    /// <summary>Scalar divided by tensor.</summary>
    public static Tensor operator /(double s, Tensor a) => a.ScalarOp(NativeOp.RDivS, s, "rdiv");

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();
}
