using MlNetStem.Data;
using MlNetStem.Data.Reporting;
using MlNetStem.Imaging;

namespace MlNetStem.Host;

/// <summary>Composes an <see cref="ExpressionReport"/> from a loaded section and the models scored on it (report and demo --report).</summary>
public static class SectionReport
{
    /// <summary>Longest side of the H&amp;E thumbnail behind the maps (the maps crop the part around the spots).</summary>
    public const int ThumbnailSide = 900;

    /// <summary>Option naming the genes to map, shared by report and demo.</summary>
    public static CommandOption MapGenesOption { get; } =
        new("map-genes", "genes to map over the H&E, comma-separated (default: the 3 best predicted)", "G1,G2");

    /// <summary>Builds the report and writes it to <paramref name="path"/>.</summary>
    /// <param name="section">The section as loaded (its image column locates the H&amp;E).</param>
    /// <param name="sectionName">Shown in the title.</param>
    /// <param name="models">Each model's scored view (from <see cref="SectionScorer"/>) and metrics (null without counts).</param>
    /// <param name="notes">How the predictions were made.</param>
    /// <param name="mapGenes">Genes to map, or null for the best predicted.</param>
    /// <param name="path">The .html file to write.</param>
    /// <param name="log">Where a missing thumbnail is reported.</param>
    public static void Write(IDataView section, string sectionName, IReadOnlyList<(string Name, IDataView Scored, Evaluation.ExpressionMetrics? Metrics)> models,
        IReadOnlyList<string> notes, IReadOnlyList<string>? mapGenes, string path, TextWriter log)
    {
        var (thumbnail, scale) = Thumbnail(section, log);
        var report = new ExpressionReport
        {
            Title = $"MlNetStem: predicted expression on {sectionName}",
            SectionName = sectionName,
            Models = models.Select(m => new ReportEntry(m.Name, ScoredSpots.Read(m.Scored), m.Metrics)).ToArray(),
            Notes = notes,
            Thumbnail = thumbnail,
            ThumbnailScale = scale,
            MapGenes = mapGenes,
        };
        string html;
        try
        {
            html = report.ToHtml();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        AtomicFile.WriteAllText(path, html);
    }

    /// <summary>The genes of --map-genes, or null.</summary>
    public static IReadOnlyList<string>? MapGenes(ParsedArguments args) =>
        args.Get(MapGenesOption.Name) is { } list ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;

    private static (RgbImage? Image, double Scale) Thumbnail(IDataView section, TextWriter log)
    {
        if (section.Schema.Find(SpotColumns.Image) is null) return (null, 1);
        var image = section.ReadBatches([SpotColumns.Image], 1).FirstOrDefault()?.GetImages(SpotColumns.Image).FirstOrDefault();
        if (image is null) return (null, 1);
        try
        {
            return ImageThumbnail.Read(image.Path, ThumbnailSide);
        }
        catch (IOException e)
        {
            // Maps still read on a white canvas; the report says nothing false about the tissue.
            log.WriteLine($"note: no H&E behind the maps ({e.Message.ReplaceLineEndings(" ")})");
            return (null, 1);
        }
    }
}
