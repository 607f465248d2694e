using System.Text.RegularExpressions;

namespace MlNetStem;

/// <summary>Writes files through a temporary file and a rename, so readers never see half a file.</summary>
public static class AtomicFile
{
    /// <summary>A temporary file beside a target this old is stale (its writer was killed) whatever its lock state.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    /// <summary>A temporary file this old that no process holds open with a lock is stale too.</summary>
    public static readonly TimeSpan UnlockedStaleAfter = TimeSpan.FromMinutes(1);

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text));

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, temp => File.WriteAllBytes(temp, bytes));

    /// <summary>
    /// Lets <paramref name="write"/> fill a temporary file next to <paramref name="path"/>, then renames it into place;
    /// on failure the temporary file is removed and an existing file at <paramref name="path"/> is left untouched. After a
    /// successful write, stale temporary files of the same target left by killed writes are removed
    /// (see <see cref="RemoveStaleTemporaries"/>).
    /// </summary>
    public static void Write(string path, Action<string> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = TemporaryPath(full);
        try
        {
            write(temp);
            PauseIfFailpointSet(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        RemoveStaleTemporaries(full);
    }

    /// <summary>Environment variable that makes every atomic write stop for good between writing and renaming (see below).</summary>
    public const string FailpointVariable = "MLNETSTEM_FAILPOINT";

    /// <summary>
    /// Why: a kill between "temporary file written" and "renamed into place" is the moment atomic writes exist for, but it
    /// lasts microseconds and cannot be hit by timing. With <see cref="FailpointVariable"/> set to
    /// <c>atomic-write-before-rename</c>, the write announces itself on standard error and waits forever, so a test can kill
    /// the process exactly there (tests/Reliability.Tests/KillDuringWriteTests). Unset, this costs one lookup.
    /// </summary>
    private static void PauseIfFailpointSet(string temp)
    {
        if (Environment.GetEnvironmentVariable(FailpointVariable) != "atomic-write-before-rename") return;
        Console.Error.WriteLine($"failpoint atomic-write-before-rename: {temp}");
        Console.Error.Flush();
        Thread.Sleep(Timeout.Infinite);
    }

    /// <summary>The temporary file a write of <paramref name="fullPath"/> goes through: <c>.NAME.&lt;guid&gt;.tmp</c> beside it.</summary>
    internal static string TemporaryPath(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");

    /// <summary>
    /// Removes the temporary files of <paramref name="path"/> (<c>.NAME.&lt;32 hex digits&gt;.tmp</c> beside it) that earlier
    /// writes left behind when they were killed: those last written more than <see cref="StaleAfter"/> ago, and those
    /// older than <see cref="UnlockedStaleAfter"/> that no process holds locked (a live .NET or HDF5 writer holds its
    /// file locked, so a write in progress in another process is never touched). Best effort: a file that cannot be
    /// inspected or deleted is left alone. Returns how many were removed.
    /// </summary>
    public static int RemoveStaleTemporaries(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(full);
        if (directory is null || !Directory.Exists(directory)) return 0;
        var pattern = new Regex($"^\\.{Regex.Escape(Path.GetFileName(full))}\\.[0-9a-f]{{32}}\\.tmp$", RegexOptions.CultureInvariant);
        int removed = 0;
        try
        {
            foreach (string candidate in Directory.EnumerateFiles(directory, $".{Path.GetFileName(full)}.*.tmp"))
            {
                if (!pattern.IsMatch(Path.GetFileName(candidate))) continue;
                try
                {
                    var age = DateTime.UtcNow - File.GetLastWriteTimeUtc(candidate);
                    if (age > StaleAfter || (age > UnlockedStaleAfter && !IsLocked(candidate)))
                    {
                        File.Delete(candidate);
                        removed++;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return removed;
    }

    private static bool IsLocked(string path)
    {
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }
}
