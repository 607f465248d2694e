using System.Globalization;
using System.Text;

namespace MlNetStem.Data;

/// <summary>
/// Writes predictions as CSV: one row per spot, identifier and coordinate columns first,
/// then one column per gene (the slot names of the prediction column). Written atomically.
/// </summary>
public static class PredictionCsvWriter
{
    /// <summary>Writes <paramref name="valueColumn"/> of <paramref name="data"/> with leading <paramref name="idColumns"/>.</summary>
    /// <returns>The number of rows written.</returns>
    /// <exception cref="SchemaMismatchException">A column is missing or the value column is not a vector.</exception>
    public static int Write(IDataView data, string valueColumn, IReadOnlyList<string> idColumns, string path, Action<int>? onBatch = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var values = data.Schema.RequireKind(valueColumn, "PredictionCsv", ColumnKind.FloatTensor);
        var ids = idColumns.Where(c => data.Schema.Find(c) is not null).ToArray();
        int width = values.Type.Size;
        var genes = values.SlotNames ?? Enumerable.Range(0, width).Select(i => $"{valueColumn}{i}").ToArray();
        int rows = 0;
        AtomicFile.Write(path, temp =>
        {
            using (var writer = new StreamWriter(temp, false, new UTF8Encoding(false)))
            {
                writer.WriteLine(string.Join(",", ids.Concat(genes).Select(Quote)));
                foreach (var batch in data.ReadBatches([.. ids, valueColumn], 64))
                {
                    var v = batch.GetFloats(valueColumn);
                    var line = new StringBuilder();
                    for (int r = 0; r < batch.RowCount; r++)
                    {
                        line.Clear();
                        foreach (var id in ids)
                        {
                            object? cell = batch.GetArray(id).GetValue(r);
                            line.Append(Quote(Convert.ToString(cell is SlideReference s ? s.Path : cell, CultureInfo.InvariantCulture) ?? "")).Append(',');
                        }
                        for (int g = 0; g < width; g++)
                        {
                            if (g > 0) line.Append(',');
                            line.Append(v[r * width + g].ToString("G6", CultureInfo.InvariantCulture));
                        }
                        writer.WriteLine(line);
                    }
                    rows += batch.RowCount;
                    onBatch?.Invoke(batch.RowCount);
                }
            }
        });
        return rows;
    }

    private static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
