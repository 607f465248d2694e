using System.Text;

namespace MlNetStem.Data;

/// <summary>
/// Per-spot features written to an .h5ad as <c>obsm[Key]</c> (spots × D), the way scanpy keeps embeddings
/// (<c>X_pca</c>, <c>X_umap</c>): <c>X_morphology</c> for the built-in featurizer, <c>X_&lt;encoder&gt;</c> for each ONNX
/// encoder (e.g. <c>X_uni</c>), <c>X_&lt;featurizer&gt;</c> otherwise.
/// </summary>
/// <param name="Key">The obsm key, e.g. "X_morphology".</param>
/// <param name="Values">Spots × features.</param>
/// <param name="Names">Feature names when they say more than a position (the morphology features), else null.</param>
public sealed record FeatureEmbedding(string Key, double[,] Values, IReadOnlyList<string>? Names)
{
    /// <summary>
    /// Reads <paramref name="column"/> of <paramref name="data"/>: a vector [D], or the first view of a tensor [V, D] (the
    /// view a model predicts from). Slots named <c>ENCODER:j</c> (FeaturizeOnnx's concatenated encoders) become one
    /// embedding per encoder; any other column one embedding named after <paramref name="featurizer"/>.
    /// </summary>
    /// <param name="data">Featurized spots.</param>
    /// <param name="column">The feature column.</param>
    /// <param name="featurizer">Name for the key when the slots do not name encoders, e.g. "morphology".</param>
    /// <param name="allViews">For a tensor [V, D], also every view as one more embedding, key + "_views" (spots × V·D, view
    /// v at [v·D, (v+1)·D)).</param>
    /// <exception cref="SchemaMismatchException">The column is missing or not a float vector or tensor.</exception>
    /// <exception cref="InvalidDataException">A feature is NaN or infinite (named by spot row and feature).</exception>
    public static IReadOnlyList<FeatureEmbedding> Read(IDataView data, string column, string featurizer, bool allViews = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(featurizer);
        var col = data.Schema.RequireKind(column, "FeatureEmbedding", ColumnKind.FloatTensor);
        int size = col.Type.Size;
        int width = col.Type.Dimensions.Count > 1 ? col.Type.Dimensions[^1] : size;
        if (width < 1) throw new SchemaMismatchException(column, "a float vector of known size", col.Type.ToString(), "FeatureEmbedding");
        var names = col.Type.Dimensions.Count > 1 ? null : col.SlotNames;
        var rows = new List<float[]>();
        foreach (var batch in data.ReadBatches([column], 256))
        {
            var values = batch.GetFloats(column);
            for (int r = 0; r < batch.RowCount; r++)
            {
                var row = values.AsSpan(r * size, width).ToArray();
                int bad = Array.FindIndex(row, v => !float.IsFinite(v));
                if (bad >= 0) throw new InvalidDataException($"feature {bad} of spot row {rows.Count} in column '{column}' is {row[bad]} (NaN or infinite).");
                rows.Add(row);
            }
        }
        // Group the slots by encoder when every slot is ENCODER:j.
        var groups = new List<(string Name, int Start, int Count)>();
        if (names is { } slots && slots.Count == width && slots.All(s => s.LastIndexOf(':') > 0))
        {
            for (int j = 0; j < width; j++)
            {
                string encoder = slots[j][..slots[j].LastIndexOf(':')];
                if (groups.Count > 0 && groups[^1].Name == encoder) groups[^1] = groups[^1] with { Count = groups[^1].Count + 1 };
                else groups.Add((encoder, j, 1));
            }
            names = null;
        }
        else groups.Add((featurizer, 0, width));
        var result = new List<FeatureEmbedding>();
        foreach (var (name, start, count) in groups)
        {
            var values = new double[rows.Count, count];
            for (int r = 0; r < rows.Count; r++)
                for (int j = 0; j < count; j++) values[r, j] = rows[r][start + j];
            string key = KeyOf(name);
            if (result.Any(e => e.Key == key)) key += "_" + result.Count;
            result.Add(new FeatureEmbedding(key, values, names));
        }
        if (allViews && col.Type.Dimensions.Count > 1)
        {
            var views = new double[rows.Count, size];
            int r = 0;
            foreach (var batch in data.ReadBatches([column], 256))
            {
                var values = batch.GetFloats(column);
                for (int b = 0; b < batch.RowCount; b++, r++)
                    for (int j = 0; j < size; j++) views[r, j] = values[b * size + j];
            }
            result.Add(new FeatureEmbedding(KeyOf(featurizer) + "_views", views, null));
        }
        return result;
    }

    /// <summary>The obsm key for a featurizer or encoder name: "X_" + the name with characters other than letters, digits and _ made _.</summary>
    public static string KeyOf(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var key = new StringBuilder("X_");
        foreach (char c in name) key.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        return key.ToString();
    }
}
