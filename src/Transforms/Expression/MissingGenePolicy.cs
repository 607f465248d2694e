namespace MlNetStem.Transforms.Expression;

/// <summary>What a fitted gene panel does when the data lacks some of its genes.</summary>
public enum MissingGenePolicy
{
    /// <summary>Fail, naming the missing genes (default: mismatched panels are usually a mistake).</summary>
    Error,
    /// <summary>Treat missing genes as zero counts (sections that list only detected genes, as HER2ST does).</summary>
    Zero,
}
