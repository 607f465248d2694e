using System.Globalization;
using System.Text.Json;

namespace MlNetStem.Data;

/// <summary>
/// Reads 10x Visium Space Ranger output (<c>outs/</c>): counts from <c>filtered_feature_bc_matrix.h5</c>
/// or the <c>filtered_feature_bc_matrix/</c> Matrix Market folder (Gene Expression features only),
/// spot positions from <c>spatial/tissue_positions.csv</c> (Space Ranger ≥ 2, with header) or the older
/// headerless <c>spatial/tissue_positions_list.csv</c>, and <c>spatial/scalefactors_json.json</c>.
/// </summary>
/// <remarks>
/// Image: <see cref="SectionLoadOptions.ImagePath"/> is taken as the full-resolution image (pixel
/// coordinates as in the positions file, µm/px = 55 µm / spot_diameter_fullres); without it,
/// <c>spatial/tissue_hires_image.png</c> (else the lowres one) is used, with the coordinates and the pixel
/// size scaled by its scale factor. Visium spots are 55 µm across.
/// </remarks>
public static class VisiumLoader
{
    /// <summary>Diameter of a Visium spot.</summary>
    public const double SpotDiameterMicrons = 55;

    /// <summary>True when <paramref name="folder"/> (or its <c>outs/</c>) looks like Space Ranger output.</summary>
    public static bool IsVisiumFolder(string folder)
    {
        string outs = ResolveOuts(folder);
        return Directory.Exists(Path.Combine(outs, "spatial")) &&
            (File.Exists(Path.Combine(outs, "filtered_feature_bc_matrix.h5")) || Directory.Exists(Path.Combine(outs, "filtered_feature_bc_matrix"))
             || File.Exists(Path.Combine(outs, "spatial", "tissue_positions.csv")) || File.Exists(Path.Combine(outs, "spatial", "tissue_positions_list.csv")));
    }

    /// <summary>Loads a Space Ranger <c>outs/</c> folder (or the run folder above it).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">Positions, image, scale factors (when needed) or counts (when required) are missing.</exception>
    /// <exception cref="InvalidDataException">
    /// Malformed or truncated files, duplicated genes with <see cref="SectionLoadOptions.StrictGeneNames"/>,
    /// no barcode shared by counts and positions, or spots outside the image.
    /// </exception>
    public static SpatialSection Load(string folder, SectionLoadOptions? options = null)
    {
        options ??= new SectionLoadOptions();
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Space Ranger folder '{folder}' does not exist.");
        string outs = ResolveOuts(folder);
        string spatial = Path.Combine(outs, "spatial");
        var dropped = new List<string>();
        var notes = new List<string>();

        var positions = ReadPositions(spatial);
        var scale = ReadScaleFactors(Path.Combine(spatial, "scalefactors_json.json"));
        var matrix = ReadCounts(outs, options.RequireCounts);

        // Which spots: counts joined to positions, in count order; without counts, the positions.
        var byBarcode = new Dictionary<string, int>(positions.Count, StringComparer.Ordinal);
        for (int i = 0; i < positions.Count; i++) byBarcode[positions[i].Barcode] = i;
        var spotRows = new List<int>();
        var matrixRows = new List<int>();
        if (matrix is not null)
        {
            var noPosition = new List<string>();
            int outside = 0;
            for (int b = 0; b < matrix.Barcodes.Length; b++)
            {
                if (!byBarcode.TryGetValue(matrix.Barcodes[b], out int p)) { noPosition.Add(matrix.Barcodes[b]); continue; }
                if (!positions[p].InTissue && !options.IncludeOutOfTissue) { outside++; continue; }
                spotRows.Add(p);
                matrixRows.Add(b);
            }
            if (spotRows.Count == 0)
                throw new InvalidDataException(
                    $"{outs}: none of the {matrix.Barcodes.Length} barcodes of {Path.GetFileName(matrix.Source)} has an in-tissue position in {positions.Source} " +
                    $"(e.g. {SpotTableBuilder.Sample(matrix.Barcodes, matrix.Barcodes.Length)}): counts and positions do not belong together.");
            if (noPosition.Count > 0)
                dropped.Add($"{noPosition.Count} barcode(s) in the counts without a position in {Path.GetFileName(positions.Source)}: {SpotTableBuilder.Sample(noPosition, noPosition.Count)}");
            if (outside > 0) dropped.Add($"{outside} barcode(s) in the counts on spots outside the tissue (in_tissue = 0)");
            var counted = matrix.Barcodes.ToHashSet(StringComparer.Ordinal);
            var noCounts = positions.Spots.Where(s => (s.InTissue || options.IncludeOutOfTissue) && !counted.Contains(s.Barcode)).Select(s => s.Barcode).ToList();
            if (noCounts.Count > 0)
                dropped.Add($"{noCounts.Count} {(options.IncludeOutOfTissue ? "" : "in-tissue ")}spot(s) in {Path.GetFileName(positions.Source)} without counts: {SpotTableBuilder.Sample(noCounts, noCounts.Count)}");
        }
        else
        {
            for (int i = 0; i < positions.Count; i++)
                if (positions[i].InTissue || options.IncludeOutOfTissue) spotRows.Add(i);
            int outside = positions.Count - spotRows.Count;
            if (outside > 0) dropped.Add($"{outside} spot(s) outside the tissue (in_tissue = 0)");
            if (spotRows.Count == 0) throw new InvalidDataException($"{positions.Source}: no spot is under tissue (in_tissue = 1).");
        }

        // Image, coordinate scale and pixel size.
        string imagePath;
        double coordinateScale;
        double? mpp = options.MicronsPerPixel;
        if (options.ImagePath is { } given)
        {
            imagePath = Path.GetFullPath(given);
            if (!File.Exists(imagePath)) throw new FileNotFoundException($"Image '{given}' does not exist.", imagePath);
            coordinateScale = 1;
            if (mpp is null && scale?.SpotDiameterFullres is { } d) mpp = SpotDiameterMicrons / d;
        }
        else
        {
            string hires = Path.Combine(spatial, "tissue_hires_image.png"), lowres = Path.Combine(spatial, "tissue_lowres_image.png");
            (imagePath, double? factor, string which) = File.Exists(hires) ? (hires, scale?.HiresScale, "tissue_hires_scalef")
                : File.Exists(lowres) ? (lowres, scale?.LowresScale, "tissue_lowres_scalef")
                : throw new FileNotFoundException(
                    $"{outs}: no image. Give the full-resolution H&E image (ImagePath / --image) or provide spatial/tissue_hires_image.png.", hires);
            if (scale is null)
                throw new FileNotFoundException($"{spatial}: scalefactors_json.json is needed to place spots on {Path.GetFileName(imagePath)}.",
                    Path.Combine(spatial, "scalefactors_json.json"));
            if (factor is not > 0) throw new InvalidDataException($"{scale.Path}: '{which}' is missing or not positive.");
            coordinateScale = factor.Value;
            if (mpp is null && scale.SpotDiameterFullres is { } d) mpp = SpotDiameterMicrons / (d * coordinateScale);
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"no full-resolution image given: using {Path.GetFileName(imagePath)} with pixel coordinates scaled by {which} = {coordinateScale:G6}"));
        }
        if (mpp is { } m && (!(m > 0) || !double.IsFinite(m))) throw new ArgumentException($"Microns per pixel must be positive, got {m}.");
        if (mpp is null) notes.Add("µm per pixel unknown (no spot_diameter_fullres): give it (MicronsPerPixel / --mpp) before cutting patches of a physical size");

        string[] barcodes = spotRows.Select(i => positions[i].Barcode).ToArray();
        double[] px = spotRows.Select(i => positions[i].PixelCol * coordinateScale).ToArray();
        double[] py = spotRows.Select(i => positions[i].PixelRow * coordinateScale).ToArray();
        SpotTableBuilder.CheckImageBounds(imagePath, px, py, outs);

        string[]? genes = null;
        float[]? counts = null;
        if (matrix is not null)
        {
            int[] expression = matrix.GeneExpressionFeatures();
            int other = matrix.FeatureNames.Length - expression.Length;
            if (other > 0) notes.Add($"{other} feature(s) that are not 'Gene Expression' (antibody capture, CRISPR guides, ...) left out");
            if (expression.Length == 0) throw new InvalidDataException($"{matrix.Source}: no 'Gene Expression' feature.");
            string[] names = GeneNames.Resolve(expression.Select(f => matrix.FeatureNames[f]).ToArray(), options.StrictGeneNames, matrix.Source, notes);
            int[] chosen = GeneNames.Select(names, options.Genes, matrix.Source, notes);
            if (GeneNames.KeepCounts(chosen, options.RequireCounts, matrix.Source, notes))
            {
                genes = chosen.Select(k => names[k]).ToArray();
                counts = matrix.Densify(matrixRows, chosen.Select(k => expression[k]).ToArray());
            }
        }
        var image = new SlideReference(imagePath, mpp);
        var data = SpotTableBuilder.Build(barcodes, spotRows.Select(i => positions[i].ArrayCol).ToArray(),
            spotRows.Select(i => positions[i].ArrayRow).ToArray(), px, py, image, genes, counts);
        return new SpatialSection(data, SectionFormat.Visium, outs, mpp, dropped, notes) { SpotDiameterMicrons = SpotDiameterMicrons };
    }

    private static string ResolveOuts(string folder)
    {
        string outs = Path.Combine(folder, "outs");
        return Directory.Exists(outs) && !Directory.Exists(Path.Combine(folder, "spatial")) ? outs : folder;
    }

    private static FeatureBarcodeMatrix? ReadCounts(string outs, bool required)
    {
        string h5 = Path.Combine(outs, "filtered_feature_bc_matrix.h5");
        string mtx = Path.Combine(outs, "filtered_feature_bc_matrix");
        if (File.Exists(h5)) return FeatureBarcodeMatrix.ReadH5(h5);
        if (Directory.Exists(mtx)) return FeatureBarcodeMatrix.ReadMtxFolder(mtx);
        string raw = Path.Combine(outs, "raw_feature_bc_matrix.h5");
        if (File.Exists(raw)) return FeatureBarcodeMatrix.ReadH5(raw);
        if (required)
            throw new FileNotFoundException(
                $"{outs}: no counts (filtered_feature_bc_matrix.h5 or the filtered_feature_bc_matrix/ folder).", h5);
        return null;
    }

    private sealed record PositionTable(string Source, List<VisiumSpot> Spots)
    {
        public int Count => Spots.Count;
        public VisiumSpot this[int i] => Spots[i];
    }

    private sealed record VisiumSpot(string Barcode, bool InTissue, int ArrayRow, int ArrayCol, double PixelRow, double PixelCol);

    private sealed record ScaleFactors(string Path, double? SpotDiameterFullres, double? HiresScale, double? LowresScale);

    private static PositionTable ReadPositions(string spatial)
    {
        string withHeader = Path.Combine(spatial, "tissue_positions.csv");
        string legacy = Path.Combine(spatial, "tissue_positions_list.csv");
        string path = File.Exists(withHeader) ? withHeader : File.Exists(legacy) ? legacy
            : File.Exists(Path.Combine(spatial, "tissue_positions.parquet"))
                ? throw new NotSupportedException($"{spatial}: tissue_positions.parquet (Visium HD) is not supported; convert it to tissue_positions.csv.")
                : throw new FileNotFoundException($"{spatial}: no tissue_positions.csv or tissue_positions_list.csv.", withHeader);
        var lines = File.ReadAllLines(path);
        int first = 0;
        int[] col = [0, 1, 2, 3, 4, 5];
        if (lines.Length > 0 && lines[0].StartsWith("barcode", StringComparison.OrdinalIgnoreCase))
        {
            var header = lines[0].Split(',').Select(h => h.Trim()).ToArray();
            string[] names = ["barcode", "in_tissue", "array_row", "array_col", "pxl_row_in_fullres", "pxl_col_in_fullres"];
            for (int k = 0; k < names.Length; k++)
            {
                col[k] = Array.IndexOf(header, names[k]);
                if (col[k] < 0) throw new InvalidDataException($"{path}: header lacks column '{names[k]}' (found: {string.Join(", ", header)}).");
            }
            first = 1;
        }
        var spots = new List<VisiumSpot>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int l = first; l < lines.Length; l++)
        {
            if (string.IsNullOrWhiteSpace(lines[l])) continue;
            var f = lines[l].Split(',');
            // The header decides where each column is: a row must reach the last one it names (6 without a header).
            int needed = Math.Max(6, col.Max() + 1);
            if (f.Length < needed)
                throw new InvalidDataException($"{path} line {l + 1}: {f.Length} fields; expected {needed} (barcode,in_tissue,array_row,array_col,pxl_row,pxl_col" +
                    (needed > 6 ? " at the header's positions" : "") + ").");
            string barcode = f[col[0]].Trim();
            if (!seen.Add(barcode)) throw new InvalidDataException($"{path} line {l + 1}: barcode {barcode} appears twice.");
            spots.Add(new VisiumSpot(barcode, Int(f[col[1]], path, l) != 0, Int(f[col[2]], path, l), Int(f[col[3]], path, l),
                Number(f[col[4]], path, l), Number(f[col[5]], path, l)));
        }
        if (spots.Count == 0) throw new InvalidDataException($"{path}: no spots.");
        return new PositionTable(path, spots);
    }

    private static ScaleFactors? ReadScaleFactors(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            double? Get(string name) => doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
            double? diameter = Get("spot_diameter_fullres");
            if (diameter is { } d && !(d > 0)) throw new InvalidDataException($"{path}: spot_diameter_fullres = {d} is not positive.");
            return new ScaleFactors(path, diameter, Get("tissue_hires_scalef"), Get("tissue_lowres_scalef"));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({ex.Message}).", ex);
        }
    }

    private static int Int(string s, string path, int line) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v == Math.Round(v) && Math.Abs(v) < int.MaxValue
            ? (int)v
            : throw new InvalidDataException($"{path} line {line + 1}: '{s}' is not an integer.");

    private static double Number(string s, string path, int line) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v
            : throw new InvalidDataException($"{path} line {line + 1}: '{s}' is not a finite number.");
}
