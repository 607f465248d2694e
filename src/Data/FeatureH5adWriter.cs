using MlNetStem.AnnData;

namespace MlNetStem.Data;

/// <summary>
/// Writes a featurized section as an AnnData .h5ad for scanpy/squidpy: obs = spots (barcodes, array_row/array_col),
/// <c>obsm['spatial']</c>, one <c>obsm['X_...']</c> per <see cref="FeatureEmbedding"/>, X = the section's counts as
/// log2(x+1) (CSR, var = its genes) or an empty spots × 0 matrix without counts, <c>uns['spatial']</c> when a
/// <see cref="SpatialLibrary"/> is given and <c>uns['mlnetstem']</c>. Written atomically.
/// </summary>
public static class FeatureH5adWriter
{
    /// <summary>Writes <paramref name="spots"/> and <paramref name="embeddings"/> to <paramref name="path"/>.</summary>
    /// <param name="spots">The section's spots (rows in the order of the embeddings), with <see cref="SpotColumns.Counts"/> when it has counts.</param>
    /// <param name="path">Destination .h5ad.</param>
    /// <param name="embeddings">Features per spot, written as obsm.</param>
    /// <param name="spatial">The section's images and scale factors (uns['spatial']), or null.</param>
    /// <param name="mlnetstem">Entries of uns['mlnetstem'] (how the features were made); the writer adds X's normalization and feature names.</param>
    /// <returns>The number of spots written.</returns>
    /// <exception cref="InvalidDataException">No rows, repeated barcodes or genes, an embedding of another row count, or a negative or non-finite count.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static int Write(IDataView spots, string path, IReadOnlyList<FeatureEmbedding> embeddings, SpatialLibrary? spatial,
        IReadOnlyDictionary<string, object> mlnetstem)
    {
        ArgumentNullException.ThrowIfNull(spots);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(mlnetstem);
        var (obs, xy) = SpotObs.Read(spots);
        var (x, genes) = LogCounts(spots, obs.RowCount);
        var var = new AnnDataFrame(genes);
        var duplicates = var.DuplicateIndexValues();
        if (duplicates.Count > 0)
            throw new InvalidDataException($"Gene names repeat, so they cannot index var: {SpotTableBuilder.Sample(duplicates, duplicates.Count)}.");
        var file = new AnnDataFile(x, obs, var);
        if (xy is not null) file.Obsm["spatial"] = xy;
        var names = PredictionH5adWriter.AddEmbeddings(file, embeddings);
        var uns = new Dictionary<string, object>(mlnetstem, StringComparer.Ordinal)
        {
            ["normalization"] = genes.Length > 0
                ? "X: log2(x+1) of the section's raw counts, every gene it has (CSR)"
                : "X: empty (spots x 0): the section has no counts",
        };
        if (names.Count > 0) uns["feature_names"] = names;
        file.Uns["mlnetstem"] = uns;
        if (spatial is not null) file.Uns["spatial"] = PredictionH5adWriter.SpatialUns(spatial);
        return PredictionH5adWriter.Save(file, path);
    }

    // log2(x+1) of the counts as CSR: counts are mostly zeros, and a Visium section densified over all genes is gigabytes.
    private static (AnnMatrix X, string[] Genes) LogCounts(IDataView spots, int rows)
    {
        if (spots.Schema.Find(SpotColumns.Counts) is not { Type.Kind: ColumnKind.FloatTensor } counts)
            return (new DenseMatrix(rows, 0, []), []);
        int width = counts.Type.Size;
        string[] genes = counts.SlotNames?.ToArray() ?? Enumerable.Range(0, width).Select(i => $"gene{i}").ToArray();
        var data = new List<float>();
        var indices = new List<int>();
        var indPtr = new long[rows + 1];
        int row = 0;
        foreach (var batch in spots.ReadBatches([SpotColumns.Counts], 256))
        {
            var values = batch.GetFloats(SpotColumns.Counts);
            for (int r = 0; r < batch.RowCount; r++, row++)
            {
                for (int g = 0; g < width; g++)
                {
                    float v = values[r * width + g];
                    if (v == 0) continue;
                    if (!(v > 0) || !float.IsFinite(v))
                        throw new InvalidDataException($"Count {v} of gene {genes[g]} in spot row {row} is negative or not finite.");
                    data.Add(MathF.Log2(v + 1));
                    indices.Add(g);
                }
                indPtr[row + 1] = data.Count;
            }
        }
        return (new SparseMatrix(MatrixLayout.Csr, rows, width, data.ToArray(), indices.ToArray(), indPtr), genes);
    }
}
