using MlNetStem.Data;

namespace MlNetStem.Host;

/// <summary>
/// The sections a command was given: <c>--input</c> repeated and/or comma-separated (<c>--input A,B --input C</c>), and the
/// rows of a <c>--manifest FILE</c> (path, name, patient, mpp, split; see <see cref="SectionManifest"/>).
/// </summary>
public static class SectionInputs
{
    /// <summary>The manifest option, shared by the commands that take several sections.</summary>
    public static CommandOption ManifestOption { get; } =
        new("manifest", "CSV/TSV listing sections, one per row: columns path (required), name, patient, mpp, split (train/test)", "FILE");

    /// <summary>The sections named by <paramref name="option"/> and <c>--manifest</c>, in the order given.</summary>
    /// <exception cref="UsageException">No section given, a listed path that does not exist, a bad manifest, or two sections with one name.</exception>
    public static IReadOnlyList<SectionEntry> Parse(ParsedArguments args, string option = "input")
    {
        var entries = new List<SectionEntry>();
        foreach (string value in args.GetAll(option))
            foreach (string path in Split(value))
            {
                if (!File.Exists(path) && !Directory.Exists(path)) throw new UsageException($"--{option}: '{path}' does not exist");
                entries.Add(SectionEntry.FromPath(path));
            }
        if (args.Get("manifest") is { } manifest)
        {
            try
            {
                entries.AddRange(SectionManifest.Read(manifest));
            }
            catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException)
            {
                throw new UsageException($"--manifest: {ex.Message}");
            }
        }
        if (entries.Count == 0) throw new UsageException($"option '--{option}' is required (a section, several comma-separated, or --manifest FILE)");
        var repeated = entries.GroupBy(e => e.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (repeated.Length > 0)
            throw new UsageException($"two sections are named {string.Join(", ", repeated)}: give them distinct names in a --manifest ('name' column)");
        return entries;
    }

    /// <summary>A comma-separated list of paths; a path that itself exists with its commas is kept whole.</summary>
    private static IEnumerable<string> Split(string value) =>
        File.Exists(value) || Directory.Exists(value) || !value.Contains(',')
            ? [value]
            : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
