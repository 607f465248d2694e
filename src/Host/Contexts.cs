namespace MlNetStem.Host;

/// <summary>The ML.NET context of one CLI command: seeded, with MlNetStem's progress going to stderr.</summary>
public static class Contexts
{
    /// <summary>A context whose ML.NET and MlNetStem seeds are <paramref name="seed"/>.</summary>
    public static MLContext Create(int seed, IProgressReporter progress)
    {
        var ml = new MLContext(seed);
        var catalog = ml.SpatialExpression();
        catalog.Seed = seed;
        catalog.Progress = progress;
        return ml;
    }
}
