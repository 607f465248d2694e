using System.Globalization;
using MlNetStem.AnnData;
using MlNetStem.Hdf5;

namespace MlNetStem.Data;

/// <summary>
/// Writes predictions as an AnnData .h5ad that scanpy/squidpy open and draw directly: X = predicted expression
/// (spots × genes, the score column); layers <c>std</c>, <c>lower</c>, <c>upper</c>, <c>mean</c>, <c>raw</c> from the columns
/// Score+"Std", Score+"Lower", Score+"Upper", Score+"Mean", Score+"Raw" when they exist, <c>lower_80</c>/<c>upper_80</c>/... from
/// Score+"Lower80"/Score+"Upper80"/..., and <c>observed</c> from an "Expression" column over the same genes; obs index =
/// barcodes with array_row/array_col when present; <c>obsm["spatial"]</c> = (PixelX, PixelY); optional feature embeddings
/// as <c>obsm["X_..."]</c>; optional <c>uns["spatial"][library_id]</c> (images and scale factors, see
/// <see cref="SpatialLibrary"/>); var index = gene names (the score column's slot names); and <c>uns["mlnetstem"]</c> with
/// the provenance. Written atomically.
/// </summary>
public static class PredictionH5adWriter
{
    /// <summary>Name of the observed-expression column written as layer "observed" when it matches the score's genes.</summary>
    public const string ObservedColumn = "Expression";

    /// <summary>Suffix of the score column's companion that holds the unclipped prediction (layer "raw").</summary>
    public const string RawSuffix = "Raw";

    /// <summary>Writes <paramref name="scored"/> to <paramref name="path"/>.</summary>
    /// <param name="scored">Scored spots.</param>
    /// <param name="path">Destination .h5ad.</param>
    /// <param name="provenance">Where the predictions came from (uns["mlnetstem"]).</param>
    /// <param name="scoreColumn">The prediction, a float vector over genes.</param>
    /// <param name="spatial">The section's images and scale factors for scanpy (uns["spatial"]), or null.</param>
    /// <param name="embeddings">Per-spot features to write as obsm entries (rows in the order of <paramref name="scored"/>), or null.</param>
    /// <returns>The number of spots written.</returns>
    /// <exception cref="SchemaMismatchException">The score column is missing or not a float vector.</exception>
    /// <exception cref="InvalidDataException">Barcodes or gene names repeat, there are no rows, or an embedding has another row count.</exception>
    /// <exception cref="IOException">The file cannot be written (directory missing, disk full, permissions).</exception>
    public static int Write(IDataView scored, string path, PredictionProvenance provenance, string scoreColumn = "Score",
        SpatialLibrary? spatial = null, IReadOnlyList<FeatureEmbedding>? embeddings = null)
    {
        ArgumentNullException.ThrowIfNull(scored);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(provenance);
        var schema = scored.Schema;
        var score = schema.RequireKind(scoreColumn, "PredictionH5ad", ColumnKind.FloatTensor);
        int width = score.Type.Size;
        string[] genes = score.SlotNames?.ToArray() ?? Enumerable.Range(0, width).Select(i => $"{scoreColumn}{i}").ToArray();

        var layerColumns = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (suffix, layer) in new[] { ("Std", "std"), ("Lower", "lower"), ("Upper", "upper"), ("Mean", "mean"), (RawSuffix, "raw") })
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

        var (obs, spatialXy) = SpotObs.Read(scored);
        int rows = obs.RowCount;
        var values = new List<float>();
        var layers = layerColumns.Keys.ToDictionary(k => k, _ => new List<float>(), StringComparer.Ordinal);
        foreach (var batch in scored.ReadBatches([scoreColumn, .. layerColumns.Values.Distinct(StringComparer.Ordinal)], 256))
        {
            values.AddRange(batch.GetFloats(scoreColumn));
            foreach (var (layer, column) in layerColumns) layers[layer].AddRange(batch.GetFloats(column));
        }

        var var = new AnnDataFrame(genes);
        var duplicateGenes = var.DuplicateIndexValues();
        if (duplicateGenes.Count > 0)
            throw new InvalidDataException($"Gene names repeat, so they cannot index var: {SpotTableBuilder.Sample(duplicateGenes, duplicateGenes.Count)}.");

        var file = new AnnDataFile(new DenseMatrix(rows, width, values.ToArray()), obs, var);
        foreach (var (layer, list) in layers) file.Layers[layer] = new DenseMatrix(rows, width, list.ToArray());
        if (spatialXy is not null) file.Obsm["spatial"] = spatialXy;
        var featureNames = AddEmbeddings(file, embeddings);
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
        uns["normalization"] = "log2(x+1) of raw counts (X, mean, lower_*, upper_*, raw, observed); std on the same scale";
        if (provenance.ClippedAtZero)
            uns["clipping"] = "X, mean, lower, upper, lower_* and upper_* are clipped at 0 (log2(x+1) of counts is never negative); std is not" +
                (layerColumns.ContainsKey("raw") ? "; layer raw holds X before clipping" : "");
        uns["clipped_at_zero"] = provenance.ClippedAtZero;
        if (provenance.MicronsPerPixel is { } mpp) uns["microns_per_pixel"] = mpp;
        if (levels.Count > 0) uns["interval_levels"] = levels.Order().Select(l => l / 100.0).ToArray();
        if (layerColumns.ContainsKey("observed")) uns["observed"] = "the section's measured expression of the panel genes, log2(x+1), when the input had counts";
        if (provenance.Input is { } input) uns["input"] = input;
        if (provenance.Extra is { Count: > 0 } extra)
            uns["extra"] = extra.ToDictionary(kv => kv.Key, kv => (object)kv.Value, StringComparer.Ordinal);
        if (featureNames.Count > 0) uns["feature_names"] = featureNames;
        file.Uns["mlnetstem"] = uns;
        if (spatial is not null) file.Uns["spatial"] = SpatialUns(spatial);
        return Save(file, path);
    }

    /// <summary>Adds <paramref name="embeddings"/> to obsm; returns the feature names of those that have them, by key (for uns).</summary>
    /// <exception cref="InvalidDataException">An embedding's rows differ from obs, or its key is taken.</exception>
    internal static Dictionary<string, object> AddEmbeddings(AnnDataFile file, IReadOnlyList<FeatureEmbedding>? embeddings)
    {
        var names = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var e in embeddings ?? [])
        {
            if (e.Values.GetLength(0) != file.ObsCount)
                throw new InvalidDataException($"obsm '{e.Key}' has {e.Values.GetLength(0)} rows; there are {file.ObsCount} spots.");
            if (!file.Obsm.TryAdd(e.Key, e.Values)) throw new InvalidDataException($"obsm '{e.Key}' is written twice.");
            if (e.Names is { } n && n.Count == e.Values.GetLength(1)) names[e.Key] = n.ToArray();
        }
        return names;
    }

    /// <summary>uns["spatial"] of one library.</summary>
    /// <exception cref="InvalidDataException">The library's images or factors are malformed.</exception>
    internal static Dictionary<string, object> SpatialUns(SpatialLibrary spatial)
    {
        try
        {
            return spatial.ToSpatialUns();
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException(ex.Message, ex);
        }
    }

    /// <summary>Writes <paramref name="file"/> atomically; returns its spot count.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="InvalidDataException">The AnnData is inconsistent.</exception>
    internal static int Save(AnnDataFile file, string path)
    {
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
        return file.ObsCount;
    }
}
