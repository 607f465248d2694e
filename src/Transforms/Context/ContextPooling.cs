namespace MlNetStem.Transforms.Context;

/// <summary>What <see cref="NeighbourContextTransformer"/> writes for each spot.</summary>
public enum ContextPooling
{
    /// <summary>The neighbours' embeddings themselves, <c>[k, D]</c>, nearest first, plus a <c>[k]</c> mask (HisDiff's input).</summary>
    None,

    /// <summary>The mean of the real (unmasked) neighbours' embeddings, <c>[D]</c>: context for a regressor (ridge, MLP).</summary>
    Mean,

    /// <summary>The spot's own embedding followed by that mean, <c>[2D]</c>: a regressor's whole input in one column.</summary>
    OwnAndMean,
}
