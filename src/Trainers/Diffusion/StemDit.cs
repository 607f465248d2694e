using System.Globalization;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// Stem's diffusion transformer over gene tokens (state-dict names in parentheses; see README.md):
/// token_g = gene_embedding[g] + x_embedder(x_g) (Linear(1 → H) "x_embedder.0", SiLU, Linear(H → H) "x_embedder.2");
/// c = t_embedder(t) + y_embedder(condition) (Linear(C → C) "y_embedder.0", SiLU, Linear(C → H) "y_embedder.2");
/// or, for HisDiff, the <see cref="ContextFusion"/> given as <c>conditionNetwork</c> (created at the same point, so Stem's
/// initialization does not depend on it); blocks "blocks.{i}" (<see cref="DitBlock"/>); final layer: LN without affine, modulated by
/// "final_layer.adaLN_modulation.1" Linear(H → 2H), then "final_layer.linear" Linear(H → 2) → (ε, v) per gene.
/// </summary>
internal sealed class StemDit : Module, IDenoiser
{
    private readonly Tensor _geneEmbedding;
    private readonly Sequential _xEmbedder;
    private readonly TimestepEmbedder _tEmbedder;
    private readonly TensorModule _yEmbedder;
    private readonly DitBlock[] _blocks;
    private readonly Sequential _finalModulation;
    private readonly Linear _finalLinear;
    private readonly int _hidden;

    public StemDit(int genes, int conditionSize, int hidden, int depth, int heads, int mlpRatio, Generator generator,
        Func<TensorModule>? conditionNetwork = null, bool paperInitialization = false)
    {
        GeneCount = genes;
        ConditionSize = conditionSize;
        _hidden = hidden;
        using (Tensor.NewScope())
            _geneEmbedding = RegisterParameter("gene_embedding", (paperInitialization
                ? Tensor.Rand([genes, hidden], generator) * (2 / Math.Sqrt(hidden)) - 1 / Math.Sqrt(hidden)   // kaiming_uniform(a = √5)
                : Tensor.RandN([genes, hidden], generator) * 0.02).MoveToOuterScope());
        _xEmbedder = RegisterModule("x_embedder", ParameterInit.TwoLayer(1, hidden, hidden, generator));
        _tEmbedder = RegisterModule("t_embedder", new TimestepEmbedder(hidden, generator));
        _yEmbedder = RegisterModule("y_embedder", conditionNetwork?.Invoke() ?? ParameterInit.ConditionMlp(conditionSize, hidden, generator, paperInitialization));
        var blocks = RegisterModule("blocks", new ModuleGroup());
        _blocks = new DitBlock[depth];
        for (int i = 0; i < depth; i++)
            _blocks[i] = blocks.Add(i.ToString(CultureInfo.InvariantCulture), new DitBlock(hidden, heads, mlpRatio, generator));
        var final = RegisterModule("final_layer", new ModuleGroup());
        _finalModulation = final.Add("adaLN_modulation", AdaLnModulation.Create(hidden, hidden, 2, generator));
        _finalLinear = final.Add("linear", ParameterInit.Zero(new Linear(hidden, 2, generator)));
    }

    public int GeneCount { get; }

    public int ConditionSize { get; }

    public (Tensor Epsilon, Tensor Variance) Forward(Tensor noisy, Tensor timesteps, Tensor condition) =>
        ForwardEmbedded(noisy, timesteps, EmbedCondition(condition));

    public Tensor EmbedCondition(Tensor condition) => _yEmbedder.Forward(condition);

    public (Tensor Epsilon, Tensor Variance) ForwardEmbedded(Tensor noisy, Tensor timesteps, Tensor embeddedCondition)
    {
        long b = noisy.Shape[0];
        var x = _xEmbedder.Forward(noisy.Unsqueeze(2)) + _geneEmbedding.Unsqueeze(0);        // [B, G, H]
        var c = _tEmbedder.Forward(timesteps) + embeddedCondition;                          // [B, H]
        foreach (var block in _blocks) x = block.Forward(x, c);
        var m = _finalModulation.Forward(c).Chunk(2, 1);
        var output = _finalLinear.Forward(AdaLnModulation.Modulate(AdaLnModulation.Norm(x), m[0], m[1]));   // [B, G, 2]
        return (output.Narrow(2, 0, 1).Reshape(b, GeneCount), output.Narrow(2, 1, 1).Reshape(b, GeneCount));
    }
}
