using MlNetStem.Torch.Nn;

namespace MlNetStem.Torch.Tests;

public sealed class ModuleTests
{
    /// <summary>A DiT-shaped nesting: blocks.N.attn.qkv / blocks.N.norm, plus a buffer.</summary>
    private sealed class Attention : TensorModule
    {
        public Attention(Generator g) => Qkv = RegisterModule("qkv", new Linear(4, 12, g));

        public Linear Qkv { get; }

        public override Tensor Forward(Tensor input) => Qkv.Forward(input);
    }

    private sealed class Block : TensorModule
    {
        private readonly Attention _attn;
        private readonly LayerNorm _norm;

        public Block(Generator g)
        {
            _norm = RegisterModule("norm", new LayerNorm(4, elementwiseAffine: false));
            _attn = RegisterModule("attn", new Attention(g));
        }

        public override Tensor Forward(Tensor input) => _attn.Forward(_norm.Forward(input));
    }

    internal sealed class Net : Module
    {
        public Net(ulong seed)
        {
            using var g = new Generator(seed);
            RegisterModule("blocks", new Sequential(new Block(g), new Block(g)));
            RegisterModule("final", new LayerNorm(12));
            using var pos = Tensor.Arange(0, 8).Reshape(2, 4);
            RegisterBuffer("pos", pos.Sin());
        }
    }

    [Fact]
    public void NamedParameters_AreHierarchical_InRegistrationOrder()
    {
        using var net = new Net(1);
        Assert.Equal(
            ["blocks.0.attn.qkv.weight", "blocks.0.attn.qkv.bias", "blocks.1.attn.qkv.weight",
             "blocks.1.attn.qkv.bias", "final.weight", "final.bias"],
            net.NamedParameters().Select(p => p.Key));
        Assert.Equal(["pos"], net.NamedBuffers().Select(b => b.Key));
        Assert.All(net.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.Equal(2 * (12 * 4 + 12) + 24, net.ParameterCount);
    }

    [Fact]
    public void Linear_SameSeed_SameInit_AndWithinTorchBound()
    {
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        using var a = new Linear(16, 8, g1);
        using var b = new Linear(16, 8, g2);
        Assert.Equal(a.Weight.ToFloatArray(), b.Weight.ToFloatArray());
        Assert.All(a.Weight.ToFloatArray(), w => Assert.InRange(w, -0.25f, 0.25f));
        Assert.Equal([8L, 16L], a.Weight.Shape);
    }

    [Fact]
    public void Linear_Forward_MatchesManualComputation()
    {
        using var scope = Tensor.NewScope();
        using var g = new Generator(2);
        using var lin = new Linear(3, 2, g);
        var x = Tensor.FromArray(new float[] { 1, 2, 3 }, [1, 3]);
        var w = lin.Weight.ToFloatArray();
        var b = lin.Bias!.ToFloatArray();
        var y = lin.Forward(x).ToFloatArray();
        for (var o = 0; o < 2; o++)
            Assert.Equal(w[o * 3] + 2 * w[o * 3 + 1] + 3 * w[o * 3 + 2] + b[o], y[o], 1e-5f);
    }

    [Fact]
    public void LayerNorm_WithoutAffine_HasNoParameters()
    {
        using var ln = new LayerNorm(8, elementwiseAffine: false);
        Assert.Empty(ln.Parameters());
        using var affine = new LayerNorm(8);
        Assert.Equal(["weight", "bias"], affine.NamedParameters().Select(p => p.Key));
    }

    [Fact]
    public void TrainEval_PropagatesToChildren()
    {
        var child = new Relu();
        using var seq = new Sequential(child);
        seq.Eval();
        Assert.False(child.IsTraining);
        seq.Train();
        Assert.True(child.IsTraining);
    }

    [Fact]
    public void RegisterParameter_DuplicateOrDottedName_Throws()
    {
        Assert.Throws<ArgumentException>(() => new DuplicateNames());
        Assert.Throws<ArgumentException>(() => new DottedName());
    }

    private sealed class DuplicateNames : Module
    {
        public DuplicateNames()
        {
            RegisterParameter("w", Tensor.Zeros([1]));
            RegisterParameter("w", Tensor.Zeros([1]));
        }
    }

    private sealed class DottedName : Module
    {
        public DottedName() => RegisterParameter("a.b", Tensor.Zeros([1]));
    }

    [Fact]
    public void Parameters_CreatedInsideScope_SurviveIt()
    {
        Linear lin;
        using (Tensor.NewScope())
        {
            using var g = new Generator(1);
            lin = new Linear(2, 2, g);
        }
        Assert.False(lin.Weight.IsDisposed);
        lin.Dispose();
        Assert.True(lin.Weight.IsDisposed);
    }

    [Fact]
    public void Activations_MatchTensorOps()
    {
        using var scope = Tensor.NewScope();
        var x = Tensor.FromArray(new float[] { -2, -0.5f, 0.5f, 2 }, [4]);
        Assert.Equal(x.Silu().ToFloatArray(), new Silu().Forward(x).ToFloatArray());
        Assert.Equal(x.Gelu().ToFloatArray(), new Gelu().Forward(x).ToFloatArray());
        Assert.Equal(new float[] { 0, 0, 0.5f, 2 }, new Relu().Forward(x).ToFloatArray());
    }

    [Fact]
    public void ModuleTo_Cpu_KeepsParametersUsable()
    {
        using var g = new Generator(1);
        using var lin = new Linear(3, 2, g);
        var before = lin.Weight.ToFloatArray();
        lin.To(Device.Cpu);
        Assert.Equal(before, lin.Weight.ToFloatArray());
        Assert.True(lin.Weight.RequiresGrad);
    }

    [Fact]
    public void ModuleTo_UnavailableCuda_ThrowsAndLeavesModuleOnCpu()
    {
        if (Device.IsCudaAvailable) return;
        using var g = new Generator(1);
        using var lin = new Linear(3, 2, g);
        Assert.Throws<ArgumentException>(() => lin.To(Device.Cuda()));
        Assert.Equal(Device.Cpu, lin.Weight.Device);
    }

    [Fact]
    public void Dropout_Training_ZeroesAboutPAndRescales_EvalIsIdentity()
    {
        using var scope = Tensor.NewScope();
        using var g = new Generator(9);
        var drop = new Dropout(0.25, g);
        var x = Tensor.Ones([10_000]);
        var y = drop.Forward(x).ToFloatArray();
        var zeros = y.Count(v => v == 0);
        Assert.InRange(zeros, 2200, 2800);
        Assert.All(y.Where(v => v != 0), v => Assert.Equal(1 / 0.75f, v, 1e-5f));
        drop.Eval();
        Assert.All(drop.Forward(x).ToFloatArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Dropout_SameSeed_SameMask()
    {
        using var scope = Tensor.NewScope();
        using var g1 = new Generator(3);
        using var g2 = new Generator(3);
        var x = Tensor.Ones([100]);
        Assert.Equal(new Dropout(0.5, g1).Forward(x).ToFloatArray(), new Dropout(0.5, g2).Forward(x).ToFloatArray());
    }
}
