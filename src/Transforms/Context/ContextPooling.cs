namespace MlNetStem.Transforms.Context;

/// <summary>What <see cref="NeighbourContextTransformer"/> writes for each spot.</summary>
public enum ContextPooling
{
    /// <summary>The neighbours' embeddings themselves, <c>[k, D]</c>, nearest first, plus a <c>[k]</c> mask (HisDiff's input).</summary>
    None,

    /// <summary>The mean of the real (unmasked) neighbours' embeddings, <c>[D]</c>: context for a regressor (ridge, MLP).</summary>
    Mean,
}
