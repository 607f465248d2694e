using MlNetStem.Data;

namespace MlNetStem.Host;

/// <summary>Recognises an input layout and loads it as a spot table.</summary>
public static class SectionReader
{
    /// <summary>Loads a section folder; reports dropped rows on stderr (never silently).</summary>
    /// <exception cref="UsageException">The path is not a recognised layout.</exception>
    public static InMemoryDataView Load(string path, bool requireCounts, double? micronsPerPixel, TextWriter log)
    {
        if (!Directory.Exists(path)) throw new UsageException($"input '{path}' is not a folder");
        if (!File.Exists(Path.Combine(path, "spots.tsv")))
            throw new UsageException($"'{path}' is not a recognised section layout (expected a HER2ST-style folder with spots.tsv, he.jpg and counts.tsv.gz)");
        var section = Her2stLoader.Load(path, new Her2stLoadOptions(micronsPerPixel, RequireCounts: requireCounts));
        foreach (var note in section.Dropped) log.WriteLine($"note: {Path.GetFileName(Path.TrimEndingDirectorySeparator(path))}: dropped {note}");
        log.WriteLine($"loaded {Path.GetFileName(Path.TrimEndingDirectorySeparator(path))}: {section.Data.Rows} spots" +
            (section.Data.Schema.Find(SpotColumns.Counts) is { } c ? $", {c.Type.Size} genes" : ", no counts") +
            $", {section.MicronsPerPixel:0.###} µm/px{(micronsPerPixel is null ? " (estimated from the spot grid)" : "")}");
        return section.Data;
    }
}
