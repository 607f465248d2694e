namespace MlNetStem;

/// <summary>
/// The expression trainers of an <see cref="MLContext"/>: <c>ml.SpatialExpression().Trainers.Ridge(...)</c>,
/// <c>.Mlp(...)</c>, <c>.StemDiffusion(...)</c> (extension methods in MlNetStem.Trainers).
/// </summary>
public sealed class SpatialTrainersCatalog
{
    internal SpatialTrainersCatalog(SpatialExpressionCatalog owner) => Owner = owner;

    /// <summary>The catalog this one belongs to (its progress reporter and seed sequence).</summary>
    public SpatialExpressionCatalog Owner { get; }
}
