namespace MlNetStem.Data;

/// <summary>Options shared by the section loaders (<see cref="SectionLoader"/> and the per-format loaders).</summary>
public sealed record SectionLoadOptions
{
    /// <summary>
    /// Pixel size of the image the spots are placed on (µm/px); overrides what the layout says
    /// (Visium scale factors, HEST metadata, HER2ST spot-grid estimate). Null: taken from the layout,
    /// or left unknown when the layout does not say.
    /// </summary>
    public double? MicronsPerPixel { get; init; }

    /// <summary>
    /// Image to use instead of the layout's own: a full-resolution H&amp;E image for Space Ranger
    /// output (whose pixel coordinates are full resolution), the image of a plain .h5ad, or a
    /// replacement for a HEST whole-slide image.
    /// </summary>
    public string? ImagePath { get; init; }

    /// <summary>When false, a layout without counts loads spots and image only (prediction on unsequenced sections).</summary>
    public bool RequireCounts { get; init; } = true;

    /// <summary>
    /// Genes to read (by name, after duplicates were made unique); null reads every gene. Genes absent
    /// from the data are left out and noted. Lets .h5ad input be read without densifying all genes.
    /// Honoured by the Visium, HEST and .h5ad loaders; HER2ST folders always load every gene.
    /// </summary>
    public IReadOnlyList<string>? Genes { get; init; }

    /// <summary>When true, duplicated gene names are an error; when false they are made unique (-1, -2, ...) and noted.</summary>
    public bool StrictGeneNames { get; init; }

    /// <summary>When true, spots flagged as outside the tissue (Visium in_tissue = 0) are kept.</summary>
    public bool IncludeOutOfTissue { get; init; }

    /// <summary>Sample to load from a HEST folder holding several (the st/&lt;id&gt;.h5ad stem).</summary>
    public string? SampleId { get; init; }
}
