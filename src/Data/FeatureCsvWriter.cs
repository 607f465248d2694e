using System.Globalization;
using System.Text;

namespace MlNetStem.Data;

/// <summary>
/// Writes a model's input features as CSV: one row per spot, an identifier column first, then one column per feature
/// value named <c>f0</c>..<c>f{D-1}</c>. Values are written in the invariant culture with round-trip precision, so a
/// stock consumer (e.g. ML.NET's <c>TextLoader</c> feeding an exported ONNX model) reads exactly the floats the model
/// saw. Written atomically.
/// </summary>
public static class FeatureCsvWriter
{
    /// <summary>The name of feature column <paramref name="index"/> in the CSV header.</summary>
    public static string ColumnName(int index) => "f" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes <paramref name="featureColumn"/> of <paramref name="data"/> after <paramref name="idColumn"/>. A vector
    /// column [D] is written whole; a tensor column [V, D] (several views of each spot) writes its first view, the
    /// one a model's prediction reads.
    /// </summary>
    /// <returns>The number of rows written.</returns>
    /// <exception cref="SchemaMismatchException">A column is missing, or the feature column is not a float vector or tensor.</exception>
    /// <exception cref="InvalidDataException">A feature value is NaN or infinite.</exception>
    public static int Write(IDataView data, string featureColumn, string idColumn, string path, Action<int>? onBatch = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var features = data.Schema.RequireKind(featureColumn, "FeatureCsv", ColumnKind.FloatTensor);
        _ = data.Schema.Get(idColumn, "FeatureCsv");
        int size = features.Type.Size;
        int width = features.Type.Dimensions.Count > 0 ? features.Type.Dimensions[^1] : size;
        if (width < 1) throw new SchemaMismatchException(featureColumn, "a float vector of known size", features.Type.ToString(), "FeatureCsv");
        int rows = 0;
        AtomicFile.Write(path, temp =>
        {
            using var writer = new StreamWriter(temp, false, new UTF8Encoding(false));
            writer.WriteLine(string.Join(",", new[] { Quote(idColumn) }.Concat(Enumerable.Range(0, width).Select(ColumnName))));
            var line = new StringBuilder();
            foreach (var batch in data.ReadBatches([idColumn, featureColumn], 64))
            {
                var values = batch.GetFloats(featureColumn);
                var ids = batch.GetArray(idColumn);
                for (int r = 0; r < batch.RowCount; r++)
                {
                    line.Clear();
                    object? id = ids.GetValue(r);
                    line.Append(Quote(Convert.ToString(id, CultureInfo.InvariantCulture) ?? ""));
                    for (int j = 0; j < width; j++)
                    {
                        float v = values[(long)r * size + j];
                        if (!float.IsFinite(v))
                            throw new InvalidDataException($"feature {j} of spot '{id}' in column '{featureColumn}' is {v} (NaN or infinite).");
                        line.Append(',').Append(v.ToString("R", CultureInfo.InvariantCulture));
                    }
                    writer.WriteLine(line);
                }
                rows += batch.RowCount;
                onBatch?.Invoke(batch.RowCount);
            }
        });
        return rows;
    }

    private static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
