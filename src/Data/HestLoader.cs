using System.Globalization;
using System.Text.Json;

namespace MlNetStem.Data;

/// <summary>
/// Reads a HEST-1k sample: <c>st/&lt;id&gt;.h5ad</c> (obs index = barcodes, <c>obsm["spatial"]</c> = full-resolution
/// pixel coordinates of the whole-slide image), <c>wsis/&lt;id&gt;.tif</c>, and the pixel size from
/// <c>metadata/&lt;id&gt;.json</c> or a metadata CSV in the folder (columns id and
/// <c>pixel_size_um_estimated</c> or <c>pixel_size_um_embedded</c>; the estimate is preferred, as HEST does).
/// </summary>
/// <remarks>Pre-extracted patches (<c>patches/&lt;id&gt;.h5</c>) are read by <see cref="HestPatchSource"/>.</remarks>
public static class HestLoader
{
    /// <summary>Whole-slide image extensions looked for in <c>wsis/</c>, in order.</summary>
    public static IReadOnlyList<string> SlideExtensions { get; } = [".tif", ".tiff", ".svs", ".ndpi", ".mrxs", ".jpg", ".png"];

    /// <summary>True when <paramref name="folder"/> has the HEST <c>st/</c> and <c>wsis/</c> folders.</summary>
    public static bool IsHestFolder(string folder) =>
        Directory.Exists(Path.Combine(folder, "st")) && Directory.Exists(Path.Combine(folder, "wsis"));

    /// <summary>Sample ids of a HEST folder (stems of st/*.h5ad), sorted.</summary>
    public static IReadOnlyList<string> SampleIds(string folder) =>
        Directory.Exists(Path.Combine(folder, "st"))
            ? Directory.GetFiles(Path.Combine(folder, "st"), "*.h5ad").Select(p => Path.GetFileNameWithoutExtension(p)).Order(StringComparer.Ordinal).ToArray()
            : [];

    /// <summary>Path of the pre-extracted patch file of a sample (it may not exist).</summary>
    public static string PatchFile(string folder, string sampleId) => Path.Combine(folder, "patches", sampleId + ".h5");

    /// <summary>Opens the sample's pre-extracted patches (<c>patches/&lt;id&gt;.h5</c>) as a data view.</summary>
    /// <exception cref="FileNotFoundException">The patch file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is damaged or lacks img/coords/barcode.</exception>
    public static HestPatchSource LoadPatches(string folder, string sampleId) => HestPatchSource.Open(PatchFile(folder, sampleId));

    /// <summary>Loads one sample (<see cref="SectionLoadOptions.SampleId"/>, or the only one in the folder).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The sample's .h5ad or whole-slide image is missing.</exception>
    /// <exception cref="ArgumentException">Several samples and no <see cref="SectionLoadOptions.SampleId"/>, or an unknown id.</exception>
    /// <exception cref="InvalidDataException">Unreadable/truncated .h5ad, malformed metadata, spots outside the image, strict duplicate genes.</exception>
    public static SpatialSection Load(string folder, SectionLoadOptions? options = null)
    {
        options ??= new SectionLoadOptions();
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"HEST folder '{folder}' does not exist.");
        var ids = SampleIds(folder);
        string id = options.SampleId ?? (ids.Count switch
        {
            0 => throw new FileNotFoundException($"{folder}: st/ holds no .h5ad sample.", Path.Combine(folder, "st")),
            1 => ids[0],
            _ => throw new ArgumentException($"{folder} holds {ids.Count} samples ({SpotTableBuilder.Sample(ids, ids.Count)}); choose one (SampleId).")
        });
        string h5ad = Path.Combine(folder, "st", id + ".h5ad");
        if (!File.Exists(h5ad))
            throw new FileNotFoundException($"{folder}: no sample '{id}' (st/{id}.h5ad); samples: {SpotTableBuilder.Sample(ids, ids.Count)}.", h5ad);

        string imagePath;
        if (options.ImagePath is { } given)
        {
            imagePath = Path.GetFullPath(given);
            if (!File.Exists(imagePath)) throw new FileNotFoundException($"Image '{given}' does not exist.", imagePath);
        }
        else
        {
            imagePath = SlideExtensions.Select(e => Path.GetFullPath(Path.Combine(folder, "wsis", id + e))).FirstOrDefault(File.Exists)
                ?? throw new FileNotFoundException($"{folder}: no whole-slide image wsis/{id}.tif ({string.Join(", ", SlideExtensions)}).",
                    Path.Combine(folder, "wsis", id + ".tif"));
        }
        var notes = new List<string>();
        double? mpp = options.MicronsPerPixel is null ? MetadataMicronsPerPixel(folder, id, notes) : null;
        var section = AnnDataSectionLoader.Read(h5ad, imagePath, options, SectionFormat.Hest, Path.GetFullPath(folder), notes,
            AnnDataSectionLoader.ScanpyMicronsPerPixel, mpp);
        return section with { SpotDiameterMicrons = MetadataSpotDiameter(folder, id) ?? section.SpotDiameterMicrons };
    }

    /// <summary>
    /// Spot diameter from metadata/&lt;id&gt;.json: its <c>spot_diameter</c> (µm), else from <c>st_technology</c>
    /// (Visium 55 µm, Spatial Transcriptomics 100 µm); null when neither says. Malformed JSON was reported by the pixel size.
    /// </summary>
    private static double? MetadataSpotDiameter(string folder, string id)
    {
        string json = Path.Combine(folder, "metadata", id + ".json");
        if (!File.Exists(json)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            if (doc.RootElement.TryGetProperty("spot_diameter", out var d) && Parse(d) is double diameter && diameter > 0 && double.IsFinite(diameter))
                return diameter;
            if (!doc.RootElement.TryGetProperty("st_technology", out var t) || t.ValueKind != JsonValueKind.String) return null;
            return t.GetString() switch
            {
                "Visium" => VisiumLoader.SpotDiameterMicrons,
                "Spatial Transcriptomics" => Her2stLoader.SpotDiameterMicrons,
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Pixel size from metadata/&lt;id&gt;.json, else from a metadata CSV in the folder; null when neither says.</summary>
    /// <exception cref="InvalidDataException">The JSON is malformed or a pixel size is not a positive number.</exception>
    private static double? MetadataMicronsPerPixel(string folder, string id, List<string> notes)
    {
        string json = Path.Combine(folder, "metadata", id + ".json");
        if (File.Exists(json))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(json));
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"{json}: expected a JSON object of sample metadata, found {doc.RootElement.ValueKind}.");
                foreach (string key in new[] { "pixel_size_um_estimated", "pixel_size_um_embedded" })
                    if (doc.RootElement.TryGetProperty(key, out var v) && Parse(v) is { } value)
                    {
                        notes.Add(string.Create(CultureInfo.InvariantCulture, $"µm per pixel {value:G6} from metadata/{id}.json ({key})"));
                        return Positive(value, json, key);
                    }
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{json}: not valid JSON ({ex.Message}).", ex);
            }
        }
        foreach (string csv in Directory.GetFiles(folder, "*.csv").Concat(Directory.Exists(Path.Combine(folder, "metadata"))
                     ? Directory.GetFiles(Path.Combine(folder, "metadata"), "*.csv") : []).Order(StringComparer.Ordinal))
        {
            if (FromCsv(csv, id) is { } found)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"µm per pixel {found.Value:G6} from {Path.GetFileName(csv)} ({found.Column})"));
                return Positive(found.Value, csv, found.Column);
            }
        }
        return null;
    }

    private static double? Parse(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => v.GetDouble(),
        JsonValueKind.String when double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
        _ => null,
    };

    private static double Positive(double value, string path, string key) =>
        value > 0 && double.IsFinite(value) ? value : throw new InvalidDataException($"{path}: {key} = {value} is not a positive pixel size.");

    private static (double Value, string Column)? FromCsv(string path, string id)
    {
        using var reader = new StreamReader(path);
        if (reader.ReadLine() is not { } headerLine) return null;
        var header = SplitCsv(headerLine);
        int idCol = Array.FindIndex(header, h => h is "id" or "sample_id");
        int[] sizeCols = new[] { "pixel_size_um_estimated", "pixel_size_um_embedded" }.Select(c => Array.IndexOf(header, c)).ToArray();
        if (idCol < 0 || sizeCols.All(c => c < 0)) return null;
        while (reader.ReadLine() is { } line)
        {
            var f = SplitCsv(line);
            if (idCol >= f.Length || f[idCol] != id) continue;
            foreach (int c in sizeCols)
                if (c >= 0 && c < f.Length && double.TryParse(f[c], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    return (v, header[c]);
        }
        return null;
    }

    // Enough CSV for metadata tables: commas, double-quoted fields with "" escapes.
    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString().Trim()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString().Trim());
        return fields.ToArray();
    }
}
