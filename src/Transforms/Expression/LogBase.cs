namespace MlNetStem.Transforms.Expression;

/// <summary>Logarithm used by <see cref="LogNormalizeTransformer"/>.</summary>
public enum LogBase
{
    /// <summary>log2(x + 1), Stem's target.</summary>
    Two,
    /// <summary>ln(x + 1) (log1p), the HEST benchmark's target.</summary>
    Natural,
}
