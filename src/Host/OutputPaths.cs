namespace MlNetStem.Host;

/// <summary>
/// Checks where a command will write before it reads data or trains, so a bad output path costs seconds, not the whole
/// run: the path is not a directory (or, for a folder option, not a file), its nearest existing ancestor is a directory
/// (missing folders are created at write time), and a file can be created and deleted there.
/// </summary>
public static class OutputPaths
{
    /// <summary>Checks an output file named by option <paramref name="option"/>.</summary>
    /// <exception cref="IOException">The path cannot be written; one line naming the option and the path.</exception>
    public static void CheckFile(string option, string path) => Check(option, path, folder: false);

    /// <summary>Checks an output folder named by option <paramref name="option"/> (created at write time when missing).</summary>
    /// <exception cref="IOException">The folder cannot be written; one line naming the option and the path.</exception>
    public static void CheckFolder(string option, string path) => Check(option, path, folder: true);

    private static void Check(string option, string path, bool folder)
    {
        string Fail(string why) => throw new IOException($"--{option} '{path}': {why}");
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            Fail($"not a valid path ({e.Message})");
            return;
        }
        if (!folder && (Directory.Exists(full) || path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar)))
            Fail("is a directory; give a file name");
        if (folder && File.Exists(full)) Fail("is a file, not a directory");
        // The nearest ancestor that exists must be a directory we can write in.
        string? existing = folder ? full : Path.GetDirectoryName(full);
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing))
                Fail($"its parent '{existing}' is a file, not a directory");
            existing = Path.GetDirectoryName(existing);
        }
        if (existing is null) Fail("no existing parent directory");
        string probe = Path.Combine(existing!, $".mlnetstem-write-test.{Guid.NewGuid():N}.tmp");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail($"cannot write in '{existing}' ({e.Message.TrimEnd('.')})");
        }
        finally
        {
            try { if (File.Exists(probe)) File.Delete(probe); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
