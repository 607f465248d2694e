using System.Globalization;
using System.Text;

namespace MlNetStem.Data;

/// <summary>
/// Writes predictions as CSV: one row per spot, identifier and coordinate columns first,
/// then one column per gene (the slot names of the prediction column), then, for each companion column (a diffusion
/// model's std and interval bounds), one column per gene named <c>GENE_suffix</c>. Written atomically.
/// </summary>
public static class PredictionCsvWriter
{
    /// <summary>Writes <paramref name="valueColumn"/> of <paramref name="data"/> with leading <paramref name="idColumns"/>.</summary>
    /// <param name="data">Scored spots.</param>
    /// <param name="valueColumn">The prediction (a float vector over genes).</param>
    /// <param name="idColumns">Identifier columns written first (those the data lacks are skipped).</param>
    /// <param name="path">Destination .csv.</param>
    /// <param name="onBatch">Told the row count of each batch written (progress).</param>
    /// <param name="companions">Further vectors of the same genes, each with the suffix of its columns (e.g. ("ScoreStd", "std"));
    /// those the data lacks are skipped.</param>
    /// <returns>The number of rows written.</returns>
    /// <exception cref="SchemaMismatchException">A column is missing or the value column is not a vector.</exception>
    public static int Write(IDataView data, string valueColumn, IReadOnlyList<string> idColumns, string path, Action<int>? onBatch = null,
        IReadOnlyList<(string Column, string Suffix)>? companions = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var values = data.Schema.RequireKind(valueColumn, "PredictionCsv", ColumnKind.FloatTensor);
        var ids = idColumns.Where(c => data.Schema.Find(c) is not null).ToArray();
        int width = values.Type.Size;
        var genes = values.SlotNames ?? Enumerable.Range(0, width).Select(i => $"{valueColumn}{i}").ToArray();
        var extra = (companions ?? []).Where(c => data.Schema.Find(c.Column) is { } col && col.Type.Kind == ColumnKind.FloatTensor && col.Type.Size == width).ToArray();
        var header = ids.Concat(genes).Concat(extra.SelectMany(c => genes.Select(g => $"{g}_{c.Suffix}")));
        string[] valueColumns = [valueColumn, .. extra.Select(c => c.Column)];
        int rows = 0;
        AtomicFile.Write(path, temp =>
        {
            using (var writer = new StreamWriter(temp, false, new UTF8Encoding(false)))
            {
                writer.WriteLine(string.Join(",", header.Select(Quote)));
                foreach (var batch in data.ReadBatches([.. ids, .. valueColumns], 64))
                {
                    var vectors = valueColumns.Select(batch.GetFloats).ToArray();
                    var line = new StringBuilder();
                    for (int r = 0; r < batch.RowCount; r++)
                    {
                        line.Clear();
                        foreach (var id in ids)
                        {
                            object? cell = batch.GetArray(id).GetValue(r);
                            line.Append(Quote(Convert.ToString(cell is SlideReference s ? s.Path : cell, CultureInfo.InvariantCulture) ?? "")).Append(',');
                        }
                        for (int c = 0; c < vectors.Length; c++)
                            for (int g = 0; g < width; g++)
                            {
                                if (c > 0 || g > 0) line.Append(',');
                                line.Append(vectors[c][r * width + g].ToString("G6", CultureInfo.InvariantCulture));
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
