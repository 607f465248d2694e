using MlNetStem.Torch.Nn;
using MlNetStem.Torch.Optim;

namespace MlNetStem.Torch.Tests;

public sealed class TrainingTests
{
    [Fact]
    public void Mlp_WithAdamW_LearnsKnownFunction()
    {
        using var g = new Generator(11);
        using var mlp = new Sequential(new Linear(2, 32, g), new Silu(), new Linear(32, 32, g), new Silu(), new Linear(32, 1, g));
        using var opt = new AdamW(mlp.Parameters(), learningRate: 1e-2, weightDecay: 1e-4);

        // y = sin(2·x1) + 0.5·x2², x uniform in [-1, 1]².
        using var x = (Tensor.Rand([256, 2], g) * 2 - 1).DetachFromDisposeScope();
        var xs = x.ToFloatArray();
        var ys = Enumerable.Range(0, 256).Select(i => (float)(Math.Sin(2 * xs[2 * i]) + 0.5 * xs[2 * i + 1] * xs[2 * i + 1])).ToArray();
        using var y = Tensor.FromArray(ys, [256, 1]);

        double first = 0, last = 0;
        for (var step = 0; step < 400; step++)
        {
            using var scope = Tensor.NewScope();
            opt.ZeroGrad();
            var loss = Tensor.MseLoss(mlp.Forward(x), y);
            loss.Backward();
            opt.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(first > 0.1, $"initial loss {first} should be large for the test to mean anything");
        Assert.True(last < 0.005, $"loss only fell from {first} to {last}");
    }

    [Fact]
    public void AdamW_Steps_MatchReferenceFormula()
    {
        // One scalar parameter, loss = p² (grad 2p); reference computed in plain C#.
        double lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.05;
        using var p = Tensor.FromArray(new double[] { 1.5 }, [1]).WithRequiresGrad();
        using var opt = new AdamW([p], lr, b1, b2, eps, wd);
        double rp = 1.5, m = 0, v = 0;
        for (var t = 1; t <= 5; t++)
        {
            using (Tensor.NewScope())
            {
                opt.ZeroGrad();
                p.Square().Sum().Backward();
                opt.Step();
            }
            var grad = 2 * rp;
            rp *= 1 - lr * wd;
            m = b1 * m + (1 - b1) * grad;
            v = b2 * v + (1 - b2) * grad * grad;
            var mHat = m / (1 - Math.Pow(b1, t));
            var vHat = v / (1 - Math.Pow(b2, t));
            rp -= lr * mHat / (Math.Sqrt(vHat) + eps);
            Assert.Equal(rp, p.ToDoubleArray()[0], 1e-12);
        }
        Assert.Equal(5, opt.StepCount);
    }

    [Fact]
    public void AdamW_ParameterWithoutGrad_IsLeftUnchanged()
    {
        using var a = Tensor.Ones([2]).WithRequiresGrad();
        using var b = Tensor.Ones([2]).WithRequiresGrad();
        using var opt = new AdamW([a, b], learningRate: 0.1);
        using (Tensor.NewScope()) a.Sum().Backward();
        opt.Step();
        Assert.NotEqual(new float[] { 1, 1 }, a.ToFloatArray());
        Assert.Equal(new float[] { 1, 1 }, b.ToFloatArray());
    }

    [Fact]
    public void AdamW_BadHyperParameters_Throw()
    {
        using var p = Tensor.Ones([1]).WithRequiresGrad();
        using var frozen = Tensor.Ones([1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([p], beta1: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([p], learningRate: -1));
        Assert.Throws<ArgumentException>(() => new AdamW([frozen]));
        Assert.Throws<ArgumentException>(() => new AdamW([p, p]));
    }

    [Fact]
    public void Ema_Update_FollowsDecayFormula_AndCopiesIntoModule()
    {
        using var g = new Generator(4);
        using var lin = new Linear(3, 2, g);
        using var ema = new ExponentialMovingAverage(lin, decay: 0.9);
        var w0 = lin.Weight.ToFloatArray();
        using (Tensor.NewScope())
        using (new NoGradScope())
            lin.Weight.CopyFrom(Tensor.Zeros([2, 3]));
        ema.Update();
        var shadow = ema.NamedShadows().First(s => s.Key == "weight").Value.ToFloatArray();
        for (var i = 0; i < w0.Length; i++) Assert.Equal(0.9f * w0[i], shadow[i], 1e-6f);

        using var target = new Linear(3, 2, g);
        ema.CopyTo(target);
        Assert.Equal(shadow, target.Weight.ToFloatArray());
    }
}
