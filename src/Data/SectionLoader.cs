namespace MlNetStem.Data;

/// <summary>
/// Recognises a section's layout and loads it: a HER2ST-style folder (spots.tsv), Space Ranger output
/// (spatial/ + filtered_feature_bc_matrix), a HEST-1k folder (st/ + wsis/) or a single .h5ad file
/// (a .h5ad inside a HEST folder's st/ loads as that HEST sample).
/// </summary>
/// <example>
/// <code>
/// var section = SectionLoader.Load("sample/outs", new SectionLoadOptions { ImagePath = "fullres.tif" });
/// foreach (var note in section.Dropped) Console.WriteLine(note);
/// IDataView spots = section.Data;
/// </code>
/// </example>
public static class SectionLoader
{
    /// <summary>Which layout <paramref name="path"/> holds, or null when none is recognised.</summary>
    public static SectionFormat? Detect(string path)
    {
        if (File.Exists(path))
            return path.EndsWith(".h5ad", StringComparison.OrdinalIgnoreCase) ? (HestSample(path) is null ? SectionFormat.AnnData : SectionFormat.Hest) : null;
        if (!Directory.Exists(path)) return null;
        if (File.Exists(Path.Combine(path, "spots.tsv"))) return SectionFormat.Her2st;
        if (HestLoader.IsHestFolder(path)) return SectionFormat.Hest;
        if (VisiumLoader.IsVisiumFolder(path)) return SectionFormat.Visium;
        return null;
    }

    /// <summary>Loads the section at <paramref name="path"/> in whichever supported layout it is.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist, or a file the layout needs is missing.</exception>
    /// <exception cref="NotSupportedException">The path is not a recognised layout (the message lists them).</exception>
    /// <exception cref="ArgumentException">Options do not fit the layout (e.g. a lone .h5ad without an image).</exception>
    /// <exception cref="InvalidDataException">
    /// Unsupported, malformed or truncated files; missing datasets; counts and positions that share no barcode;
    /// duplicated gene names with <see cref="SectionLoadOptions.StrictGeneNames"/>; spots outside the image.
    /// </exception>
    public static SpatialSection Load(string path, SectionLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new SectionLoadOptions();
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"Input '{path}' does not exist.", path);
        switch (Detect(path))
        {
            case SectionFormat.Her2st:
                return LoadHer2st(path, options);
            case SectionFormat.Visium:
                return VisiumLoader.Load(path, options);
            case SectionFormat.Hest when File.Exists(path):
            {
                var (folder, id) = HestSample(path)!.Value;
                return HestLoader.Load(folder, options with { SampleId = id });
            }
            case SectionFormat.Hest:
                return HestLoader.Load(path, options);
            case SectionFormat.AnnData:
                return AnnDataSectionLoader.Load(path, options);
            default:
                string what = File.Exists(path)
                    ? path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase)
                        ? $"'{path}' is an .h5 file; a 10x matrix alone has no spot positions: give its Space Ranger outs/ folder (or a HEST folder for patches/*.h5)"
                        : $"'{path}' is not a supported file (only .h5ad files load on their own)"
                    : $"'{path}' is not a recognised section layout";
                throw new NotSupportedException(
                    $"{what}. Supported: a HER2ST-style folder (spots.tsv, counts.tsv.gz, he.jpg), Space Ranger outs/ (spatial/ + filtered_feature_bc_matrix.h5 or filtered_feature_bc_matrix/), " +
                    "a HEST-1k folder (st/<id>.h5ad, wsis/<id>.tif, metadata/), or an .h5ad file with obsm['spatial'] (plus an image).");
        }
    }

    private static SpatialSection LoadHer2st(string folder, SectionLoadOptions options)
    {
        var section = Her2stLoader.Load(folder, new Her2stLoadOptions(options.MicronsPerPixel, RequireCounts: options.RequireCounts, DropCountRowsWithoutSpot: true));
        var notes = new List<string>();
        if (options.MicronsPerPixel is null)
            notes.Add($"µm per pixel {section.MicronsPerPixel:0.###} estimated from the spot grid");
        var data = section.Data;
        var px = (double[])data.GetColumnArray(SpotColumns.PixelX);
        var py = (double[])data.GetColumnArray(SpotColumns.PixelY);
        string image = ((SlideReference[])data.GetColumnArray(SpotColumns.Image))[0].Path;
        SpotTableBuilder.CheckImageBounds(image, px, py, folder);
        return new SpatialSection(data, SectionFormat.Her2st, Path.GetFullPath(folder), section.MicronsPerPixel, section.Dropped, notes)
        {
            SpotDiameterMicrons = Her2stLoader.SpotDiameterMicrons,
        };
    }

    // A .h5ad at <folder>/st/<id>.h5ad with <folder>/wsis beside it is a HEST sample.
    private static (string Folder, string Id)? HestSample(string file)
    {
        string full = Path.GetFullPath(file);
        string? st = Path.GetDirectoryName(full);
        if (st is null || Path.GetFileName(st) != "st") return null;
        string? folder = Path.GetDirectoryName(st);
        return folder is not null && Directory.Exists(Path.Combine(folder, "wsis")) ? (folder, Path.GetFileNameWithoutExtension(full)) : null;
    }
}
