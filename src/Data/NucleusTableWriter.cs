using System.Globalization;
using System.Text;
using MlNetStem.AnnData;
using MlNetStem.Imaging;

namespace MlNetStem.Data;

/// <summary>
/// Writes a section's nuclei (<see cref="NucleusDetector"/>) as a table, one row per nucleus: centroid in level-0 pixels,
/// area (µm²), equivalent diameter (µm), mean haematoxylin optical density and parent spot (its barcode, empty outside
/// every spot). As CSV, or as an AnnData .h5ad with one obs per nucleus, the centroid in <c>obsm['spatial']</c> (what
/// scanpy/squidpy plot), an empty X (nuclei × 0 genes) and <c>uns['spatial']</c> when a <see cref="SpatialLibrary"/> is
/// given. Written atomically.
/// </summary>
public static class NucleusTableWriter
{
    /// <summary>Column names of the CSV, in order (the .h5ad uses the same names for obs columns).</summary>
    public static IReadOnlyList<string> CsvColumns { get; } = ["nucleus", "x", "y", "area_um2", "diameter_um", "mean_haematoxylin", "spot"];

    /// <summary>Writes <paramref name="nuclei"/> as CSV.</summary>
    /// <param name="nuclei">The nuclei.</param>
    /// <param name="spotBarcodes">Barcode of each spot, by <see cref="Nucleus.SpotIndex"/>.</param>
    /// <param name="path">Destination .csv.</param>
    /// <returns>The number of nuclei written.</returns>
    /// <exception cref="InvalidDataException">A spot index with no barcode.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static int WriteCsv(IReadOnlyList<Nucleus> nuclei, IReadOnlyList<string> spotBarcodes, string path)
    {
        ArgumentNullException.ThrowIfNull(nuclei);
        ArgumentNullException.ThrowIfNull(spotBarcodes);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var spots = SpotOf(nuclei, spotBarcodes);
        AtomicFile.Write(path, temp =>
        {
            using var writer = new StreamWriter(temp, false, new UTF8Encoding(false));
            writer.WriteLine(string.Join(",", CsvColumns));
            var line = new StringBuilder();
            for (int i = 0; i < nuclei.Count; i++)
            {
                var n = nuclei[i];
                line.Clear().Append(CultureInfo.InvariantCulture,
                    $"{Id(i)},{n.X:0.##},{n.Y:0.##},{n.AreaMicrons2:0.###},{n.DiameterMicrons:0.###},{n.MeanHaematoxylin:0.####},");
                if (spots[i] is { } spot) line.Append(Quote(spot));
                writer.WriteLine(line);
            }
        });
        return nuclei.Count;
    }

    /// <summary>Writes <paramref name="nuclei"/> as an AnnData .h5ad.</summary>
    /// <param name="nuclei">The nuclei.</param>
    /// <param name="spotBarcodes">Barcode of each spot, by <see cref="Nucleus.SpotIndex"/>.</param>
    /// <param name="path">Destination .h5ad.</param>
    /// <param name="spatial">The section's images and scale factors (uns['spatial']), or null.</param>
    /// <param name="mlnetstem">Entries of uns['mlnetstem'] (how the nuclei were found).</param>
    /// <param name="expression">Per-nucleus predicted expression, row-major <c>[nuclei, genes]</c>, written as X; null for no genes.</param>
    /// <param name="genes">The gene of each column of <paramref name="expression"/> (var names).</param>
    /// <returns>The number of nuclei written.</returns>
    /// <exception cref="InvalidDataException">A spot index with no barcode, or a malformed library.</exception>
    /// <exception cref="ArgumentException">The expression matrix does not have one row per nucleus and one column per gene.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static int WriteH5ad(IReadOnlyList<Nucleus> nuclei, IReadOnlyList<string> spotBarcodes, string path, SpatialLibrary? spatial,
        IReadOnlyDictionary<string, object> mlnetstem, float[]? expression = null, IReadOnlyList<string>? genes = null)
    {
        genes ??= [];
        expression ??= [];
        if (expression.Length != (long)nuclei.Count * genes.Count)
            throw new ArgumentException($"{expression.Length} expression values do not form {nuclei.Count} nuclei × {genes.Count} genes.", nameof(expression));
        ArgumentNullException.ThrowIfNull(nuclei);
        ArgumentNullException.ThrowIfNull(spotBarcodes);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(mlnetstem);
        int count = nuclei.Count;
        var obs = new AnnDataFrame(Enumerable.Range(0, count).Select(Id));
        obs.Add(CategoricalColumn.FromValues("spot", SpotOf(nuclei, spotBarcodes)));
        obs.Add(new NumericColumn("area_um2", nuclei.Select(n => n.AreaMicrons2).ToArray()));
        obs.Add(new NumericColumn("diameter_um", nuclei.Select(n => n.DiameterMicrons).ToArray()));
        obs.Add(new NumericColumn("mean_haematoxylin", nuclei.Select(n => n.MeanHaematoxylin).ToArray()));
        var xy = new double[count, 2];
        for (int i = 0; i < count; i++) (xy[i, 0], xy[i, 1]) = (nuclei[i].X, nuclei[i].Y);
        var file = new AnnDataFile(new DenseMatrix(count, genes.Count, expression), obs, new AnnDataFrame(genes));
        file.Obsm["spatial"] = xy;
        file.Uns["mlnetstem"] = new Dictionary<string, object>(mlnetstem, StringComparer.Ordinal)
        {
            ["kind"] = "nuclei: one obs per nucleus, obsm['spatial'] = centroid in full-resolution pixels",
        };
        if (spatial is not null) file.Uns["spatial"] = PredictionH5adWriter.SpatialUns(spatial);
        return PredictionH5adWriter.Save(file, path);
    }

    private static string Id(int index) => "nucleus_" + index.ToString(CultureInfo.InvariantCulture);

    private static string?[] SpotOf(IReadOnlyList<Nucleus> nuclei, IReadOnlyList<string> barcodes)
    {
        var spots = new string?[nuclei.Count];
        for (int i = 0; i < spots.Length; i++)
        {
            int s = nuclei[i].SpotIndex;
            if (s < -1 || s >= barcodes.Count)
                throw new InvalidDataException($"Nucleus {i} names spot {s}, but the section has {barcodes.Count} spots.");
            spots[i] = s < 0 ? null : barcodes[s];
        }
        return spots;
    }

    private static string Quote(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
