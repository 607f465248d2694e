using System.Globalization;

namespace MlNetStem.Data;

/// <summary>
/// Reads a cohort manifest: a CSV or TSV table with a header and one row per section. Columns (any order, case-insensitive):
/// <c>path</c> (required; relative paths are taken from the manifest's folder), <c>name</c>, <c>patient</c>, <c>mpp</c>
/// (µm per pixel) and <c>split</c> (train / test). Blank lines and lines starting with <c>#</c> are skipped.
/// </summary>
/// <example>
/// <code>
/// path,patient,split
/// her2st/C2,C,train
/// her2st/C3,C,test
/// </code>
/// </example>
public static class SectionManifest
{
    private static readonly string[] Known = ["path", "name", "patient", "mpp", "split"];

    /// <summary>Most rows a manifest may hold (a guard against reading a wrong, huge file as a manifest).</summary>
    public const int MaxSections = 10_000;

    /// <summary>Reads the sections listed in <paramref name="manifestPath"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">No header with a <c>path</c> column, an unknown column, a row of the wrong width,
    /// a bad <c>mpp</c>, a listed section that does not exist, or no section at all (each message names the line).</exception>
    public static IReadOnlyList<SectionEntry> Read(string manifestPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(manifestPath);
        string full = Path.GetFullPath(manifestPath);
        if (!File.Exists(full)) throw new FileNotFoundException($"Manifest '{manifestPath}' does not exist.", full);
        string folder = Path.GetDirectoryName(full)!;
        var lines = File.ReadLines(full).Select((text, i) => (Text: text.TrimEnd('\r'), Number: i + 1))
            .Where(l => l.Text.Trim().Length > 0 && !l.Text.TrimStart().StartsWith('#'));
        string[]? header = null;
        char separator = ',';
        var entries = new List<SectionEntry>();
        foreach (var (text, number) in lines)
        {
            if (header is null)
            {
                separator = text.Contains('\t') ? '\t' : ',';
                header = text.Split(separator).Select(h => h.Trim().ToLowerInvariant()).ToArray();
                if (!header.Contains("path"))
                    throw new InvalidDataException($"{manifestPath}: line {number}: the header needs a 'path' column (columns: {string.Join(", ", Known)}).");
                if (header.FirstOrDefault(h => !Known.Contains(h)) is { } unknown)
                    throw new InvalidDataException($"{manifestPath}: line {number}: unknown column '{unknown}' (columns: {string.Join(", ", Known)}).");
                continue;
            }
            if (entries.Count == MaxSections) throw new InvalidDataException($"{manifestPath}: more than {MaxSections} sections.");
            var fields = text.Split(separator).Select(f => f.Trim()).ToArray();
            if (fields.Length != header.Length)
                throw new InvalidDataException($"{manifestPath}: line {number}: {fields.Length} fields; the header has {header.Length}.");
            string? Field(string column) => Array.IndexOf(header, column) is >= 0 and var i && fields[i].Length > 0 ? fields[i] : null;
            string path = Field("path") ?? throw new InvalidDataException($"{manifestPath}: line {number}: empty path.");
            string resolved = Path.GetFullPath(path, folder);
            if (!File.Exists(resolved) && !Directory.Exists(resolved))
                throw new InvalidDataException($"{manifestPath}: line {number}: section '{path}' does not exist (looked at {resolved}).");
            double? mpp = null;
            if (Field("mpp") is { } m)
                mpp = double.TryParse(m, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && double.IsFinite(v)
                    ? v : throw new InvalidDataException($"{manifestPath}: line {number}: mpp '{m}' is not a positive number.");
            var entry = SectionEntry.FromPath(resolved);
            entries.Add(entry with { Name = Field("name") ?? entry.Name, Patient = Field("patient"), MicronsPerPixel = mpp, Split = Field("split")?.ToLowerInvariant() });
        }
        if (entries.Count == 0) throw new InvalidDataException($"{manifestPath}: lists no section.");
        return entries;
    }
}
