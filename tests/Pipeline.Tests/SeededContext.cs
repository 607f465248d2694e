namespace MlNetStem.Pipeline.Tests;

/// <summary>The ML.NET context the tests use: ML.NET's seed and MlNetStem's seed sequence both set, as StemContext(seed) did.</summary>
internal static class SeededContext
{
    public static MLContext Create(int seed)
    {
        var ml = new MLContext(seed);
        ml.SpatialExpression().Seed = seed;
        return ml;
    }
}
