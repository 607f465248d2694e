using System.Globalization;
using MlNetStem.AnnData;
using MlNetStem.Hdf5;

namespace MlNetStem.Data;

/// <summary>
/// Writes predictions as an AnnData .h5ad that scanpy/squidpy open directly: X = predicted expression
/// (spots × genes, the score column), layers <c>std</c>, <c>lower</c>, <c>upper</c> when the columns
/// Score+"Std", Score+"Lower", Score+"Upper", Score+"Mean" exist (layers std, lower, upper, mean) (and <c>observed</c> for an "Expression" column over the
/// same genes), obs index = barcodes with array_row/array_col when present, <c>obsm["spatial"]</c> =
/// (PixelX, PixelY), var index = gene names (the score column's slot names), and <c>uns["mlnetstem"]</c>
/// with the provenance. Written atomically.
/// </summary>
public static class PredictionH5adWriter
{
    /// <summary>Name of the observed-expression column written as layer "observed" when it matches the score's genes.</summary>
    public const string ObservedColumn = "Expression";

    /// <summary>Writes <paramref name="scored"/> to <paramref name="path"/>.</summary>
    /// <returns>The number of spots written.</returns>
    /// <exception cref="SchemaMismatchException">The score column is missing or not a float vector.</exception>
    /// <exception cref="InvalidDataException">Barcodes or gene names repeat, or there are no rows.</exception>
    /// <exception cref="IOException">The file cannot be written (directory missing, disk full, permissions).</exception>
    public static int Write(IDataView scored, string path, PredictionProvenance provenance, string scoreColumn = "Score")
    {
        ArgumentNullException.ThrowIfNull(scored);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(provenance);
        var schema = scored.Schema;
        var score = schema.RequireKind(scoreColumn, "PredictionH5ad", ColumnKind.FloatTensor);
        int width = score.Type.Size;
        string[] genes = score.SlotNames?.ToArray() ?? Enumerable.Range(0, width).Select(i => $"{scoreColumn}{i}").ToArray();

        var layerColumns = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (suffix, layer) in new[] { ("Std", "std"), ("Lower", "lower"), ("Upper", "upper"), ("Mean", "mean") })
            if (schema.Find(scoreColumn + suffix) is { } c && c.Type.Kind == ColumnKind.FloatTensor && c.Type.Size == width)
                layerColumns[layer] = c.Name;
        // Every interval level as its own pair of layers, named by level (lower_80, upper_80, lower_90, ...); "lower" and
        // "upper" stay the first level's, as before.
        var levels = new List<long>();
        foreach (var c in schema.Visible())
            if (c.Name.StartsWith(scoreColumn + "Lower", StringComparison.Ordinal)
                && long.TryParse(c.Name.AsSpan(scoreColumn.Length + 5), NumberStyles.None, CultureInfo.InvariantCulture, out long level)
                && schema.Find(scoreColumn + "Upper" + level.ToString(CultureInfo.InvariantCulture)) is { } upper
                && c.Type.Kind == ColumnKind.FloatTensor && c.Type.Size == width && upper.Type.Size == width)
            {
                levels.Add(level);
                layerColumns[$"lower_{level}"] = c.Name;
                layerColumns[$"upper_{level}"] = upper.Name;
            }
        if (schema.Find(ObservedColumn) is { } observed && observed.Type.Kind == ColumnKind.FloatTensor && observed.Type.Size == width
            && (observed.SlotNames is not { } observedGenes || observedGenes.SequenceEqual(genes, StringComparer.Ordinal)))
            layerColumns["observed"] = ObservedColumn;
        bool hasBarcode = schema.Find(SpotColumns.Barcode) is { Type.Kind: ColumnKind.Text };
        bool hasPixels = schema.Find(SpotColumns.PixelX) is not null && schema.Find(SpotColumns.PixelY) is not null;
        bool hasArray = schema.Find(SpotColumns.ArrayX) is not null && schema.Find(SpotColumns.ArrayY) is not null;

        var columns = new List<string> { scoreColumn };
        columns.AddRange(layerColumns.Values);
        if (hasBarcode) columns.Add(SpotColumns.Barcode);
        if (hasPixels) columns.AddRange([SpotColumns.PixelX, SpotColumns.PixelY]);
        if (hasArray) columns.AddRange([SpotColumns.ArrayX, SpotColumns.ArrayY]);

        var values = new List<float>();
        var layers = layerColumns.Keys.ToDictionary(k => k, _ => new List<float>(), StringComparer.Ordinal);
        var barcodes = new List<string>();
        var px = new List<double>();
        var py = new List<double>();
        var ax = new List<double>();
        var ay = new List<double>();
        int rows = 0;
        foreach (var batch in scored.ReadBatches(columns, 256))
        {
            values.AddRange(batch.GetFloats(scoreColumn));
            foreach (var (layer, column) in layerColumns) layers[layer].AddRange(batch.GetFloats(column));
            if (hasBarcode) barcodes.AddRange(batch.GetTexts(SpotColumns.Barcode));
            else barcodes.AddRange(Enumerable.Range(rows, batch.RowCount).Select(i => i.ToString(CultureInfo.InvariantCulture)));
            if (hasPixels)
            {
                px.AddRange(batch.GetNumbersAsDoubles(SpotColumns.PixelX));
                py.AddRange(batch.GetNumbersAsDoubles(SpotColumns.PixelY));
            }
            if (hasArray)
            {
                ax.AddRange(batch.GetNumbersAsDoubles(SpotColumns.ArrayX));
                ay.AddRange(batch.GetNumbersAsDoubles(SpotColumns.ArrayY));
            }
            rows += batch.RowCount;
        }
        if (rows == 0) throw new InvalidDataException("No predictions to write (the scored view has no rows).");

        var obs = new AnnDataFrame(barcodes);
        var duplicateBarcodes = obs.DuplicateIndexValues();
        if (duplicateBarcodes.Count > 0)
            throw new InvalidDataException($"Barcodes repeat, so they cannot index obs: {SpotTableBuilder.Sample(duplicateBarcodes, duplicateBarcodes.Count)}.");
        if (hasArray)
        {
            obs.Add(new NumericColumn("array_row", ay.ToArray(), isInteger: true));
            obs.Add(new NumericColumn("array_col", ax.ToArray(), isInteger: true));
        }
        var var = new AnnDataFrame(genes);
        var duplicateGenes = var.DuplicateIndexValues();
        if (duplicateGenes.Count > 0)
            throw new InvalidDataException($"Gene names repeat, so they cannot index var: {SpotTableBuilder.Sample(duplicateGenes, duplicateGenes.Count)}.");

        var file = new AnnDataFile(new DenseMatrix(rows, width, values.ToArray()), obs, var);
        foreach (var (layer, list) in layers) file.Layers[layer] = new DenseMatrix(rows, width, list.ToArray());
        if (hasPixels)
        {
            var spatial = new double[rows, 2];
            for (int i = 0; i < rows; i++) { spatial[i, 0] = px[i]; spatial[i, 1] = py[i]; }
            file.Obsm["spatial"] = spatial;
        }
        var uns = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["model"] = provenance.ModelPath,
            ["created_utc"] = provenance.CreatedUtc.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
            ["mlnetstem_version"] = provenance.Version,
            ["panel_size"] = (long)width,
            ["score_column"] = scoreColumn,
        };
        if (layerColumns.Count > 0) uns["layers"] = layerColumns.Keys.Order(StringComparer.Ordinal).ToArray();
        // What X and the layers are, so a reader does not have to guess: log2(x+1) (scanpy's log1p is the natural log),
        // the interval levels of lower_/upper_ layers (lower/upper = the first), and what "observed" holds.
        uns["normalization"] = "log2(x+1) of raw counts (X, mean, lower_*, upper_*, observed); std on the same scale";
        if (levels.Count > 0) uns["interval_levels"] = levels.Order().Select(l => l / 100.0).ToArray();
        if (layerColumns.ContainsKey("observed")) uns["observed"] = "the section's measured expression of the panel genes, log2(x+1), when the input had counts";
        if (provenance.Input is { } input) uns["input"] = input;
        if (provenance.Extra is { Count: > 0 } extra)
            uns["extra"] = extra.ToDictionary(kv => kv.Key, kv => (object)kv.Value, StringComparer.Ordinal);
        file.Uns["mlnetstem"] = uns;
        try
        {
            H5adWriter.Write(file, path);
            // H5adWriter writes through the same .NAME.<guid>.tmp files: remove those left by killed writes.
            AtomicFile.RemoveStaleTemporaries(path);
        }
        catch (Hdf5Exception ex)
        {
            throw new IOException($"Cannot write '{path}': {ex.Message}", ex);
        }
        catch (AnnDataFormatException ex)
        {
            throw new InvalidDataException($"Cannot write '{path}': {ex.Message}", ex);
        }
        return rows;
    }
}
