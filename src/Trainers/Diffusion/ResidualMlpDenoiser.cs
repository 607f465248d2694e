using System.Globalization;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// The fast denoiser: the whole gene vector is one token of width W. x_embedder Linear(G → W); c as in
/// <see cref="StemDit"/> (t_embedder, y_embedder to H); blocks "blocks.{i}": h += gate·fc2(GELU(fc1(mod(LN(h), shift, scale))))
/// with "blocks.{i}.adaLN_modulation.1" Linear(H → 3W) zero-initialized, "blocks.{i}.mlp.fc1"/"fc2" Linear(W → W);
/// final layer "final_layer.adaLN_modulation.1" Linear(H → 2W) and "final_layer.linear" Linear(W → 2G), zero-initialized:
/// outputs [0, G) are ε, [G, 2G) are v.
/// </summary>
internal sealed class ResidualMlpDenoiser : Module, IDenoiser
{
    private readonly Linear _xEmbedder;
    private readonly TimestepEmbedder _tEmbedder;
    private readonly TensorModule _yEmbedder;
    private readonly (Sequential Modulation, Linear Fc1, Linear Fc2)[] _blocks;
    private readonly Sequential _finalModulation;
    private readonly Linear _finalLinear;

    public ResidualMlpDenoiser(int genes, int conditionSize, int hidden, int width, int depth, Generator generator,
        Func<TensorModule>? conditionNetwork = null, bool paperInitialization = false)
    {
        GeneCount = genes;
        ConditionSize = conditionSize;
        _xEmbedder = RegisterModule("x_embedder", ParameterInit.XavierUniform(new Linear(genes, width, generator), generator));
        _tEmbedder = RegisterModule("t_embedder", new TimestepEmbedder(hidden, generator));
        _yEmbedder = RegisterModule("y_embedder", conditionNetwork?.Invoke() ?? ParameterInit.ConditionMlp(conditionSize, hidden, generator, paperInitialization));
        var blocks = RegisterModule("blocks", new ModuleGroup());
        _blocks = new (Sequential, Linear, Linear)[depth];
        for (int i = 0; i < depth; i++)
        {
            var block = blocks.Add(i.ToString(CultureInfo.InvariantCulture), new ModuleGroup());
            var mlp = block.Add("mlp", new ModuleGroup());
            _blocks[i] = (block.Add("adaLN_modulation", AdaLnModulation.Create(hidden, width, 3, generator)),
                mlp.Add("fc1", ParameterInit.XavierUniform(new Linear(width, width, generator), generator)),
                mlp.Add("fc2", ParameterInit.XavierUniform(new Linear(width, width, generator), generator)));
        }
        var final = RegisterModule("final_layer", new ModuleGroup());
        _finalModulation = final.Add("adaLN_modulation", AdaLnModulation.Create(hidden, width, 2, generator));
        _finalLinear = final.Add("linear", ParameterInit.Zero(new Linear(width, 2L * genes, generator)));
    }

    public int GeneCount { get; }

    public int ConditionSize { get; }

    public (Tensor Epsilon, Tensor Variance) Forward(Tensor noisy, Tensor timesteps, Tensor condition) =>
        ForwardEmbedded(noisy, timesteps, EmbedCondition(condition));

    public Tensor EmbedCondition(Tensor condition) => _yEmbedder.Forward(condition);

    public (Tensor Epsilon, Tensor Variance) ForwardEmbedded(Tensor noisy, Tensor timesteps, Tensor embeddedCondition)
    {
        var h = _xEmbedder.Forward(noisy);
        var c = _tEmbedder.Forward(timesteps) + embeddedCondition;
        foreach (var (modulation, fc1, fc2) in _blocks)
        {
            var m = modulation.Forward(c).Chunk(3, 1);
            var u = AdaLnModulation.Modulate(AdaLnModulation.Norm(h), m[0], m[1]);
            h = h + m[2] * fc2.Forward(fc1.Forward(u).Gelu(tanhApproximation: true));
        }
        var f = _finalModulation.Forward(c).Chunk(2, 1);
        var output = _finalLinear.Forward(AdaLnModulation.Modulate(AdaLnModulation.Norm(h), f[0], f[1]));
        return (output.Narrow(1, 0, GeneCount), output.Narrow(1, GeneCount, GeneCount));
    }
}
