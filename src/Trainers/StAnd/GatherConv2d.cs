using MlNetStem.Onnx.Writer;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;
using MlNetStem.Trainers.Diffusion.Export;

namespace MlNetStem.Trainers.StAnd;

/// <summary>
/// A square 2-D convolution on channels-last feature maps <c>[N, H·W, C]</c>, written as an index gather (im2col through a
/// fixed index, out-of-image taps reading an appended zero row) followed by one <see cref="Linear"/> over the k·k·C taps.
/// The shim has no convolution op; index_select and matmul differentiate, so this trains like Conv2d (weights are laid out
/// [out, (ky, kx, c)] instead of PyTorch's [out, c, ky, kx]). Callers open a DisposeScope.
/// </summary>
internal sealed class GatherConv2d : TensorModule
{
    private readonly long[] _index;
    private readonly Linear _linear;

    public GatherConv2d(int inChannels, int outChannels, int inSize, int kernel, int stride, int padding, Generator init)
    {
        InChannels = inChannels;
        InSize = inSize;
        OutSize = (inSize + 2 * padding - kernel) / stride + 1;
        if (OutSize < 1) throw new ArgumentException($"A {kernel}×{kernel} convolution of stride {stride} does not fit a {inSize}-pixel map.");
        Taps = kernel * kernel;
        _index = new long[OutSize * OutSize * Taps];
        int pad = inSize * inSize;
        for (int oy = 0; oy < OutSize; oy++)
        for (int ox = 0; ox < OutSize; ox++)
        for (int ky = 0; ky < kernel; ky++)
        for (int kx = 0; kx < kernel; kx++)
        {
            int iy = oy * stride - padding + ky, ix = ox * stride - padding + kx;
            _index[((oy * OutSize + ox) * kernel + ky) * kernel + kx] = iy >= 0 && iy < inSize && ix >= 0 && ix < inSize ? iy * inSize + ix : pad;
        }
        _linear = RegisterModule("linear", new Linear(Taps * inChannels, outChannels, init));
    }

    public int InChannels { get; }

    public int InSize { get; }

    public int OutSize { get; }

    public int Taps { get; }

    /// <summary>[N, InSize², InChannels] → [N, OutSize², outChannels].</summary>
    public override Tensor Forward(Tensor input)
    {
        long n = input.Size(0);
        var padded = Tensor.Cat([input, Tensor.Zeros([n, 1, InChannels])], 1);
        var taps = padded.IndexSelect(1, Tensor.FromArray(_index, [_index.Length]));
        return _linear.Forward(taps.Reshape(n, (long)OutSize * OutSize, (long)Taps * InChannels));
    }

    /// <summary>The same gather and product in an ONNX graph: <paramref name="input"/> [N, InSize², InChannels] → [N, OutSize², out].</summary>
    public string EmitOnnx(OnnxGraphOps ops, string input, string prefix)
    {
        // The zero row: the input's first pixel times 0 keeps the batch dimension dynamic.
        string zero = ops.Mul(ops.Node("Slice", input, ops.Int64s("zero_start", 0), ops.Int64s("zero_end", 1), ops.Int64s("zero_axis", 1)), ops.Scalar("zero", 0));
        string padded = ops.Graph.AddNode("Concat", [input, zero], OnnxAttribute.Int("axis", 1));
        string taps = ops.Gather(padded, ops.Graph.AddInitializer(prefix + ".taps", _index, _index.Length), 1);
        return OnnxExport.Emit(_linear, ops.Graph, ops.Reshape(taps, -1, (long)OutSize * OutSize, (long)Taps * InChannels), prefix + ".linear");
    }
}
