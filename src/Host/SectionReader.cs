using MlNetStem.Data;

namespace MlNetStem.Host;

/// <summary>Recognises an input layout (HER2ST folder, Space Ranger outs, HEST-1k folder, .h5ad) and loads it as a spot table.</summary>
public static class SectionReader
{
    /// <summary>How one section's image is found and scaled: --mpp, --image, --sample (predict, featurize, map, report).</summary>
    public static IReadOnlyList<CommandOption> ImageOptions { get; } =
    [
        new("mpp", "microns per pixel of the image (default: from the layout or the file, or estimated from the spot grid)", "UM"),
        new("image", "image to use: full-resolution H&E for Space Ranger output, the image of a lone .h5ad", "FILE"),
        new("sample", "sample id of a HEST folder holding several", "ID"),
    ];

    /// <summary>Loads a section in any supported layout; reports dropped rows and notes on <paramref name="log"/> (never silently).</summary>
    /// <param name="path">Folder or .h5ad file.</param>
    /// <param name="requireCounts">Whether the section must carry counts.</param>
    /// <param name="micronsPerPixel">Pixel size of the image; null takes it from the layout.</param>
    /// <param name="log">Where notes go (stderr in the CLI).</param>
    /// <param name="image">Image to use (full-resolution image of Space Ranger output, the image of a lone .h5ad).</param>
    /// <param name="sampleId">Sample of a HEST folder holding several.</param>
    /// <param name="genes">Genes to read (e.g. a model's panel); null reads all.</param>
    /// <exception cref="UsageException">The path does not exist or is not a recognised layout.</exception>
    public static InMemoryDataView Load(string path, bool requireCounts, double? micronsPerPixel, TextWriter log,
        string? image = null, string? sampleId = null, IReadOnlyList<string>? genes = null) =>
        LoadSection(path, requireCounts, micronsPerPixel, log, image, sampleId, genes).Data;

    /// <summary>As <see cref="Load"/>, keeping what the layout knows besides the spot table (format, µm/px, spot diameter).</summary>
    /// <exception cref="UsageException">The path does not exist or is not a recognised layout.</exception>
    public static SpatialSection LoadSection(string path, bool requireCounts, double? micronsPerPixel, TextWriter log,
        string? image = null, string? sampleId = null, IReadOnlyList<string>? genes = null)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new UsageException($"input '{path}' does not exist");
        if (SectionLoader.Detect(path) is null)
            throw new UsageException($"'{path}' is not a recognised section layout (expected a HER2ST-style folder with spots.tsv, " +
                "a Space Ranger outs/ folder, a HEST-1k folder with st/ and wsis/, or an .h5ad file)");
        var options = new SectionLoadOptions
        {
            MicronsPerPixel = micronsPerPixel, RequireCounts = requireCounts, ImagePath = image, SampleId = sampleId, Genes = genes,
        };
        var section = SectionLoader.Load(path, options);
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        foreach (var note in section.Dropped) log.WriteLine($"note: {name}: dropped {note}");
        foreach (var note in section.Notes) log.WriteLine($"note: {name}: {note}");
        log.WriteLine($"loaded {name} ({section.Format}): {section.Data.Rows} spots" +
            (section.Data.Schema.Find(SpotColumns.Counts) is { } c ? $", {c.Type.Size} genes" : ", no counts") +
            (section.MicronsPerPixel is { } mpp ? $", {mpp:0.###} µm/px" : ", µm/px unknown"));
        return section;
    }

    /// <summary>
    /// A section's name for outputs (scanpy's library id): the folder's name, the file's name without .h5ad, the HEST
    /// sample id, or for a Space Ranger <c>outs/</c> folder the name of the folder above it.
    /// </summary>
    public static string NameOf(string path, string? sampleId = null)
    {
        if (sampleId is not null) return sampleId;
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        string name = Path.GetFileName(full);
        if (name.EndsWith(".h5ad", StringComparison.OrdinalIgnoreCase)) return name[..^5];
        if (name == "outs" && Path.GetFileName(Path.GetDirectoryName(full)) is { Length: > 0 } parent) return parent;
        return name;
    }

    /// <summary>
    /// Loads the sections of a cohort as one spot table (<see cref="SectionCombiner"/>): one section loads as with
    /// <see cref="Load"/>; several get a <see cref="SpotColumns.Section"/> column, keep their own image and µm/px, and
    /// have counts on the union of their genes (what that changed is reported on <paramref name="log"/>).
    /// </summary>
    /// <param name="sections">The sections, e.g. from <see cref="SectionInputs.Parse"/>.</param>
    /// <param name="requireCounts">Whether the sections must carry counts.</param>
    /// <param name="micronsPerPixel">Pixel size for sections whose entry gives none; null takes it from each layout.</param>
    /// <param name="log">Where notes go.</param>
    public static InMemoryDataView LoadCohort(IReadOnlyList<SectionEntry> sections, bool requireCounts, double? micronsPerPixel, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(sections);
        if (sections.Count == 1) return Load(sections[0].Path, requireCounts, sections[0].MicronsPerPixel ?? micronsPerPixel, log);
        var tables = sections.Select(s => Load(s.Path, requireCounts, s.MicronsPerPixel ?? micronsPerPixel, log)).ToArray();
        var (data, notes) = SectionCombiner.Combine(tables, sections.Select(s => s.Name).ToArray());
        foreach (var note in notes) log.WriteLine($"note: {note}");
        log.WriteLine($"combined {sections.Count} sections: {data.Rows} spots" +
            (data.Schema.Find(SpotColumns.Counts) is { } c ? $", {c.Type.Size} genes (union)" : ""));
        return data;
    }

    /// <summary>What a model trained on <paramref name="data"/> read from <paramref name="sections"/> records about its training data.</summary>
    public static Model.TrainingDataSummary Summary(IReadOnlyList<SectionEntry> sections, IDataView data) =>
        new(sections.Select(s => s.Name).ToArray(), data.GetRowCount() ?? -1);
}
