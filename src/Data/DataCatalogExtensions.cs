namespace MlNetStem.Data;

/// <summary>Format loaders on Microsoft.ML's <c>ml.Data</c> (<see cref="DataOperationsCatalog"/>): <c>ml.Data.LoadHer2st(...)</c>.</summary>
public static class DataCatalogExtensions
{
    /// <summary>Loads a HER2ST-style section folder (see <see cref="Her2stLoader"/>).</summary>
    public static Her2stSection LoadHer2st(this DataOperationsCatalog catalog, string folder, Her2stLoadOptions? options = null) =>
        Her2stLoader.Load(folder, options);

    /// <summary>Loads a section in any supported layout (see <see cref="SectionLoader"/>).</summary>
    public static SpatialSection LoadSection(this DataOperationsCatalog catalog, string path, SectionLoadOptions? options = null) =>
        SectionLoader.Load(path, options);

    /// <summary>Loads Space Ranger output (see <see cref="VisiumLoader"/>).</summary>
    public static SpatialSection LoadVisium(this DataOperationsCatalog catalog, string folder, SectionLoadOptions? options = null) =>
        VisiumLoader.Load(folder, options);

    /// <summary>Loads a HEST-1k sample (see <see cref="HestLoader"/>).</summary>
    public static SpatialSection LoadHest(this DataOperationsCatalog catalog, string folder, SectionLoadOptions? options = null) =>
        HestLoader.Load(folder, options);

    /// <summary>Loads an .h5ad with spot positions (see <see cref="AnnDataSectionLoader"/>).</summary>
    public static SpatialSection LoadH5ad(this DataOperationsCatalog catalog, string path, SectionLoadOptions? options = null) =>
        AnnDataSectionLoader.Load(path, options);

    /// <summary>
    /// Loads several sections (any mix of supported layouts) as one spot table for training on a cohort: a
    /// <see cref="SpotColumns.Section"/> column names each spot's section (its folder or file name), each spot keeps its own
    /// image and µm/px, and counts are on the union of the sections' genes (genes a section lacks count as zero there, and
    /// are listed in <see cref="CombinedSections.Notes"/>).
    /// </summary>
    /// <exception cref="ArgumentException">No path, or two paths with the same name.</exception>
    public static CombinedSections LoadSections(this DataOperationsCatalog catalog, IReadOnlyList<string> paths, SectionLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var sections = paths.Select(p => SectionLoader.Load(p, options)).ToArray();
        var names = paths.Select(p => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(p)))).ToArray();
        return SectionCombiner.Combine(sections, names);
    }
}
