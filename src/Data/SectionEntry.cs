namespace MlNetStem.Data;

/// <summary>One section of a cohort: where it is, what to call it, and what a manifest says about it.</summary>
/// <param name="Path">Section folder or .h5ad file (any layout <see cref="SectionLoader"/> reads).</param>
/// <param name="Name">Name in tables and in the <see cref="SpotColumns.Section"/> column (default: the folder or file name).</param>
/// <param name="Patient">Patient (donor) id; sections of one patient are never split across train and test by
/// <see cref="CohortSplit.LeaveOnePatientOut"/>.</param>
/// <param name="MicronsPerPixel">Pixel size of the section's image; null takes it from the layout.</param>
/// <param name="Split">"train" or "test" for <see cref="CohortSplit.Manifest"/>; null otherwise.</param>
public sealed record SectionEntry(string Path, string Name, string? Patient = null, double? MicronsPerPixel = null, string? Split = null)
{
    /// <summary>An entry for <paramref name="path"/> named after its folder or file.</summary>
    public static SectionEntry FromPath(string path) =>
        new(path, System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path))));
}
