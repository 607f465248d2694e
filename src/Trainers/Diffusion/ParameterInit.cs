using MlNetStem.Torch;
using MlNetStem.Torch.Nn;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>DiT's initialization: Xavier-uniform linear weights with zero bias, N(0, 0.02²) timestep MLP, zeroed adaLN and output.</summary>
internal static class ParameterInit
{
    public static Linear XavierUniform(Linear linear, Generator generator)
    {
        double bound = Math.Sqrt(6.0 / (linear.InFeatures + linear.OutFeatures));
        using var scope = Tensor.NewScope();
        using var noGrad = new NoGradScope();
        linear.Weight.CopyFrom(Tensor.Rand(linear.Weight.Shape.ToArray(), generator) * (2 * bound) - bound);
        linear.Bias?.CopyFrom(Tensor.Zeros(linear.Bias.Shape.ToArray()));
        return linear;
    }

    public static Linear Normal(Linear linear, double std, Generator generator)
    {
        using var scope = Tensor.NewScope();
        using var noGrad = new NoGradScope();
        linear.Weight.CopyFrom(Tensor.RandN(linear.Weight.Shape.ToArray(), generator) * std);
        linear.Bias?.CopyFrom(Tensor.Zeros(linear.Bias.Shape.ToArray()));
        return linear;
    }

    public static Linear Zero(Linear linear)
    {
        using var scope = Tensor.NewScope();
        using var noGrad = new NoGradScope();
        linear.Weight.CopyFrom(Tensor.Zeros(linear.Weight.Shape.ToArray()));
        linear.Bias?.CopyFrom(Tensor.Zeros(linear.Bias.Shape.ToArray()));
        return linear;
    }

    /// <summary>
    /// The condition MLP (y_embedder) Linear(C → C), SiLU, Linear(C → H): Xavier-initialized, or as Stem's code leaves it
    /// (<paramref name="paper"/>: Xavier first, then both weights re-drawn from N(0, 0.02²), biases zero).
    /// </summary>
    public static Sequential ConditionMlp(long condition, long hidden, Generator generator, bool paper)
    {
        var mlp = TwoLayer(condition, condition, hidden, generator);
        if (paper)
            foreach (var linear in mlp.Modules.OfType<Linear>()) Normal(linear, 0.02, generator);
        return mlp;
    }

    /// <summary>Linear(in → hidden), SiLU, Linear(hidden → out), Xavier-initialized, registered as "0" and "2".</summary>
    public static Sequential TwoLayer(long inFeatures, long hidden, long outFeatures, Generator generator) =>
        new(XavierUniform(new Linear(inFeatures, hidden, generator), generator), new Silu(),
            XavierUniform(new Linear(hidden, outFeatures, generator), generator));
}
