using System.Globalization;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// A large panel as independent blocks of consecutive genes, one denoiser each ("gene_blocks.{b}.*", each with its own
/// time and condition embedding): the diffusion then models each block's joint distribution given the image, and blocks
/// are conditionally independent. On small training sets a single denoiser over hundreds of genes learns their joint
/// structure but loses the image signal (bench/StemBench <c>chunks</c>); blocks of the size the CPU preset was tuned at keep it.
/// </summary>
internal sealed class GeneBlockDenoiser : Module, IDenoiser
{
    private readonly (int Start, int Count, IDenoiser Denoiser)[] _blocks;

    /// <param name="genes">Panel size.</param>
    /// <param name="conditionSize">Condition width, shared by every block.</param>
    /// <param name="blockSize">Genes per block; the last block takes the remainder.</param>
    /// <param name="create">Creates the denoiser of a block of the given size.</param>
    public GeneBlockDenoiser(int genes, int conditionSize, int blockSize, Func<int, Module> create)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        GeneCount = genes;
        ConditionSize = conditionSize;
        var group = RegisterModule("gene_blocks", new ModuleGroup());
        _blocks = Ranges(genes, blockSize)
            .Select((r, b) => (r.Start, r.Count, (IDenoiser)group.Add(b.ToString(CultureInfo.InvariantCulture), create(r.Count))))
            .ToArray();
    }

    public int GeneCount { get; }

    public int ConditionSize { get; }

    /// <summary>The blocks' gene ranges: consecutive, <paramref name="blockSize"/> genes each, the last one shorter.</summary>
    public static IEnumerable<(int Start, int Count)> Ranges(int genes, int blockSize)
    {
        for (int start = 0; start < genes; start += blockSize)
            yield return (start, Math.Min(blockSize, genes - start));
    }

    public (Tensor Epsilon, Tensor Variance) Forward(Tensor noisy, Tensor timesteps, Tensor condition) =>
        ForwardEmbedded(noisy, timesteps, EmbedCondition(condition));

    /// <summary>Every block's embedded condition, concatenated along the features.</summary>
    public Tensor EmbedCondition(Tensor condition) =>
        Tensor.Cat(_blocks.Select(b => b.Denoiser.EmbedCondition(condition)).ToArray(), 1);

    public (Tensor Epsilon, Tensor Variance) ForwardEmbedded(Tensor noisy, Tensor timesteps, Tensor embeddedCondition)
    {
        long width = embeddedCondition.Shape[1] / _blocks.Length;
        var epsilon = new Tensor[_blocks.Length];
        var variance = new Tensor[_blocks.Length];
        for (int b = 0; b < _blocks.Length; b++)
        {
            var (start, count, denoiser) = _blocks[b];
            (epsilon[b], variance[b]) = denoiser.ForwardEmbedded(noisy.Narrow(1, start, count), timesteps,
                embeddedCondition.Narrow(1, b * width, width));
        }
        return (Tensor.Cat(epsilon, 1), Tensor.Cat(variance, 1));
    }
}
