using System.Globalization;
using System.Text;

namespace MlNetStem.StockConsumer.Tests;

/// <summary>
/// The CLI's predictions CSV (Barcode, PixelX, PixelY, then one column per gene, then for diffusion models GENE_std,
/// GENE_lower80, ... companion columns), read with nothing but the BCL; <see cref="ByBarcode"/> holds the predictions only.
/// </summary>
internal sealed record PredictionsCsv(IReadOnlyList<string> Genes, IReadOnlyDictionary<string, float[]> ByBarcode)
{
    private static readonly HashSet<string> IdColumns = new(StringComparer.Ordinal) { "Barcode", "PixelX", "PixelY" };

    public static PredictionsCsv Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = Split(lines[0]);
        int barcode = header.IndexOf("Barcode");
        if (barcode < 0) throw new InvalidDataException($"{path}: no Barcode column");
        int first = header.TakeWhile(IdColumns.Contains).Count();
        // Companion columns start with the first gene's "_std" column.
        int end = header.IndexOf(header[first] + "_std");
        if (end < 0) end = header.Count;
        var rows = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var cells = Split(line);
            rows.Add(cells[barcode], cells[first..end].Select(c => float.Parse(c, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray());
        }
        return new PredictionsCsv(header[first..end].ToArray(), rows);
    }

    /// <summary>Splits one CSV line (RFC 4180 quoting).</summary>
    public static List<string> Split(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return cells;
    }
}
