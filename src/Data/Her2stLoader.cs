using System.Globalization;

namespace MlNetStem.Data;

/// <summary>
/// Reads a HER2ST-style section folder: <c>counts.tsv.gz</c> (genes × spots, first row gene
/// symbols, first field of each row the spot id <c>XxY</c>), <c>spots.tsv</c> (array and pixel
/// coordinates, <c>selected</c> flag) and <c>he.jpg</c>. Counts are joined to selected spots by id.
/// </summary>
public static class Her2stLoader
{
    /// <summary>Diameter of a spot of the original ST array (HER2ST): 100 µm, on a 200 µm grid.</summary>
    public const double SpotDiameterMicrons = 100;

    /// <summary>Image file names looked for, in order (he.jpg in the original data).</summary>
    public static IReadOnlyList<string> ImageCandidates { get; } = ["he.jpg", "he.jpeg", "he.png", "he.tif", "he.tiff", "he.webp", "he.ppm"];

    /// <summary>Loads a section folder.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">spots.tsv, the image, or (when required) counts.tsv.gz is missing.</exception>
    /// <exception cref="InvalidDataException">Malformed tables, NaN/negative counts, duplicate genes or spots, unmatched ids.</exception>
    public static Her2stSection Load(string folder, Her2stLoadOptions? options = null)
    {
        options ??= new Her2stLoadOptions();
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Section folder '{folder}' does not exist.");
        string spotsPath = Path.Combine(folder, "spots.tsv");
        string countsPath = Path.Combine(folder, "counts.tsv.gz");
        string imagePath = ImageCandidates.Select(n => Path.GetFullPath(Path.Combine(folder, n))).FirstOrDefault(File.Exists)
            ?? Path.GetFullPath(Path.Combine(folder, "he.jpg"));
        if (!File.Exists(spotsPath)) throw new FileNotFoundException($"Section '{folder}' has no spots.tsv.", spotsPath);
        if (!File.Exists(imagePath)) throw new FileNotFoundException($"Section '{folder}' has no H&E image ({string.Join(", ", ImageCandidates)}).", imagePath);
        bool hasCounts = File.Exists(countsPath);
        if (!hasCounts && options.RequireCounts)
            throw new FileNotFoundException($"Section '{folder}' has no counts.tsv.gz (pass RequireCounts=false to load spots only).", countsPath);

        var spots = ReadSpots(spotsPath);
        double mpp = options.MicronsPerPixel ?? EstimateMicronsPerPixel(spots, options.SpotPitchMicrons, spotsPath);
        if (!(mpp > 0) || !double.IsFinite(mpp)) throw new ArgumentException($"Microns per pixel must be positive, got {mpp}.");
        var dropped = new List<string>();
        var image = new SlideReference(imagePath, mpp);

        List<Spot> rows;
        string[]? genes = null;
        float[]? counts = null;
        if (hasCounts)
        {
            var table = CountTable.Read(countsPath);
            genes = table.Genes;
            var byId = spots.Where(s => s.Selected).ToDictionary(s => s.Id, StringComparer.Ordinal);
            var known = spots.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            var orphan = table.SpotIds.Where(id => !known.Contains(id)).ToArray();
            if (orphan.Length > 0 && !options.DropCountRowsWithoutSpot)
                throw new InvalidDataException(
                    $"{countsPath}: {orphan.Length} count row(s) have no coordinates in spots.tsv (e.g. {string.Join(", ", orphan.Take(5))}).");
            if (orphan.Length > 0) dropped.Add($"{orphan.Length} count row(s) without coordinates in spots.tsv: {string.Join(", ", orphan.Take(10))}");
            var unselected = table.SpotIds.Where(id => known.Contains(id) && !byId.ContainsKey(id)).ToArray();
            if (unselected.Length > 0) dropped.Add($"{unselected.Length} count row(s) on spots not under tissue (selected=0)");
            var counted = table.SpotIds.ToHashSet(StringComparer.Ordinal);
            var noCounts = byId.Keys.Where(id => !counted.Contains(id)).Order(StringComparer.Ordinal).ToArray();
            if (noCounts.Length > 0) dropped.Add($"{noCounts.Length} selected spot(s) without a count row: {string.Join(", ", noCounts.Take(10))}");

            rows = new List<Spot>();
            var keepRows = new List<int>();
            for (int r = 0; r < table.SpotIds.Length; r++)
            {
                if (!byId.TryGetValue(table.SpotIds[r], out var spot)) continue;
                rows.Add(spot);
                keepRows.Add(r);
            }
            if (rows.Count == 0) throw new InvalidDataException($"{folder}: no count row matches a selected spot in spots.tsv.");
            counts = new float[rows.Count * genes.Length];
            for (int i = 0; i < keepRows.Count; i++)
                Array.Copy(table.Values, (long)keepRows[i] * genes.Length, counts, (long)i * genes.Length, genes.Length);
        }
        else
        {
            rows = spots.Where(s => s.Selected).ToList();
            if (rows.Count == 0) throw new InvalidDataException($"{spotsPath}: no spot is marked selected=1.");
        }

        var columns = new List<DataViewSchema.DetachedColumn>
        {
            SchemaColumns.Create(SpotColumns.Barcode, ColumnTypes.Text),
            SchemaColumns.Create(SpotColumns.ArrayX, ColumnTypes.Int32),
            SchemaColumns.Create(SpotColumns.ArrayY, ColumnTypes.Int32),
            SchemaColumns.Create(SpotColumns.PixelX, ColumnTypes.Float64),
            SchemaColumns.Create(SpotColumns.PixelY, ColumnTypes.Float64),
            SchemaColumns.Create(SpotColumns.Image, ColumnTypes.Image),
        };
        var arrays = new Dictionary<string, Array>
        {
            [SpotColumns.Barcode] = rows.Select(s => s.Id).ToArray(),
            [SpotColumns.ArrayX] = rows.Select(s => s.X).ToArray(),
            [SpotColumns.ArrayY] = rows.Select(s => s.Y).ToArray(),
            [SpotColumns.PixelX] = rows.Select(s => s.PixelX).ToArray(),
            [SpotColumns.PixelY] = rows.Select(s => s.PixelY).ToArray(),
            [SpotColumns.Image] = rows.Select(_ => image).ToArray(),
        };
        if (genes is not null)
        {
            columns.Add(SchemaColumns.Create(SpotColumns.Counts, ColumnTypes.FloatTensor(genes.Length), genes));
            arrays[SpotColumns.Counts] = counts!;
        }
        return new Her2stSection(new InMemoryDataView(columns, rows.Count, arrays), mpp, dropped);
    }

    /// <summary>
    /// Estimates µm per pixel from the spot grid: the least-squares slope of pixel position
    /// against array position, per axis, gives pixels per array step of <paramref name="pitchMicrons"/>.
    /// </summary>
    private static double EstimateMicronsPerPixel(IReadOnlyList<Spot> spots, double pitchMicrons, string path)
    {
        double sx = Slope(spots.Select(s => ((double)s.X, s.PixelX)).ToArray());
        double sy = Slope(spots.Select(s => ((double)s.Y, s.PixelY)).ToArray());
        var slopes = new[] { sx, sy }.Where(s => double.IsFinite(s) && Math.Abs(s) > 1e-6).Select(Math.Abs).ToArray();
        if (slopes.Length == 0)
            throw new InvalidDataException($"{path}: cannot estimate µm per pixel from the spot grid; give MicronsPerPixel explicitly.");
        return pitchMicrons / slopes.Average();
    }

    private static double Slope((double X, double Y)[] points)
    {
        if (points.Length < 2) return double.NaN;
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
        double sxy = points.Sum(p => (p.X - mx) * (p.Y - my)), sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        return sxx == 0 ? double.NaN : sxy / sxx;
    }

    private static List<Spot> ReadSpots(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new InvalidDataException($"{path} is empty.");
        var header = lines[0].Split('\t', StringSplitOptions.TrimEntries);
        int Col(string name, bool required = true)
        {
            int i = Array.IndexOf(header, name);
            if (i < 0 && required)
                throw new InvalidDataException($"{path}: header lacks column '{name}' (found: {string.Join(", ", header)}).");
            return i;
        }
        int cx = Col("x"), cy = Col("y"), cpx = Col("pixel_x"), cpy = Col("pixel_y"), csel = Col("selected", required: false);
        var spots = new List<Spot>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int l = 1; l < lines.Length; l++)
        {
            if (string.IsNullOrWhiteSpace(lines[l])) continue;
            var f = lines[l].Split('\t', StringSplitOptions.TrimEntries);
            if (f.Length < header.Length)
                throw new InvalidDataException($"{path} line {l + 1}: {f.Length} fields, header has {header.Length}.");
            int x = ParseInt(f[cx], path, l, "x"), y = ParseInt(f[cy], path, l, "y");
            double px = ParseDouble(f[cpx], path, l, "pixel_x"), py = ParseDouble(f[cpy], path, l, "pixel_y");
            bool selected = csel < 0 || f[csel] == "1";
            string id = $"{x}x{y}";
            if (!seen.Add(id)) throw new InvalidDataException($"{path} line {l + 1}: spot {id} appears twice.");
            spots.Add(new Spot(id, x, y, px, py, selected));
        }
        if (spots.Count == 0) throw new InvalidDataException($"'{path}' lists no spots (it has a header but no rows).");
        return spots;
    }

    private static int ParseInt(string s, string path, int line, string column) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v == Math.Round(v)
            ? (int)v
            : throw new InvalidDataException($"{path} line {line + 1}: '{column}' = '{s}' is not an integer.");

    private static double ParseDouble(string s, string path, int line, string column) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v
            : throw new InvalidDataException($"{path} line {line + 1}: '{column}' = '{s}' is not a finite number.");

    private sealed record Spot(string Id, int X, int Y, double PixelX, double PixelY, bool Selected);

    private sealed class CountTable
    {
        public required string[] Genes { get; init; }
        public required string[] SpotIds { get; init; }
        public required float[] Values { get; init; }

        public static CountTable Read(string path)
        {
            using var reader = TextFiles.OpenText(path);
            string header = reader.ReadLine() ?? throw new InvalidDataException($"{path} is empty.");
            var genes = header.Split('\t').Skip(1).Select(g => g.Trim()).ToArray();
            if (genes.Length == 0) throw new InvalidDataException($"{path}: the header names no genes.");
            var duplicates = genes.GroupBy(g => g, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
            if (duplicates.Length > 0)
                throw new InvalidDataException($"{path}: gene names appear more than once: {string.Join(", ", duplicates.Take(10))}.");
            var ids = new List<string>();
            var values = new List<float>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            int line = 1;
            while (reader.ReadLine() is { } text)
            {
                line++;
                if (text.Length == 0) continue;
                var span = text.AsSpan();
                int tab = span.IndexOf('\t');
                if (tab < 0) throw new InvalidDataException($"{path} line {line}: no tab-separated counts.");
                string id = span[..tab].Trim().ToString();
                if (!seen.Add(id)) throw new InvalidDataException($"{path} line {line}: spot {id} appears twice.");
                ids.Add(id);
                var rest = span[(tab + 1)..];
                int field = 0;
                foreach (var range in rest.Split('\t'))
                {
                    if (field >= genes.Length)
                        throw new InvalidDataException($"{path} line {line} (spot {id}): more than {genes.Length} counts.");
                    var token = rest[range];
                    if (!float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                        throw new InvalidDataException($"{path} line {line} (spot {id}, gene {genes[field]}): '{token.ToString()}' is not a finite count.");
                    if (v < 0)
                        throw new InvalidDataException($"{path} line {line} (spot {id}, gene {genes[field]}): negative count {v}.");
                    values.Add(v);
                    field++;
                }
                if (field != genes.Length)
                    throw new InvalidDataException($"{path} line {line} (spot {id}): {field} counts, header has {genes.Length} genes.");
            }
            if (ids.Count == 0) throw new InvalidDataException($"{path}: no count rows.");
            return new CountTable { Genes = genes, SpotIds = ids.ToArray(), Values = values.ToArray() };
        }
    }
}
