namespace MlNetStem.Data;

/// <summary>
/// Opens the text tables of the section layouts (HER2ST counts, 10x Matrix Market folders): plain text, or gzip when the
/// name ends in <c>.gz</c>. A <c>.gz</c> file must carry the gzip signature and end with a complete member: a stream that
/// stops before its end marker or checksum trailer is refused at the end of reading, never taken as a shorter table.
/// </summary>
internal static class TextFiles
{
    /// <summary>Opens <paramref name="path"/> for reading lines (UTF-8).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A .gz file without the gzip signature (at once); a truncated or damaged one (while reading).</exception>
    public static StreamReader OpenText(string path)
    {
        if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return new StreamReader(path);
        return new StreamReader(VerifiedGzipStream.Open(path));
    }
}
