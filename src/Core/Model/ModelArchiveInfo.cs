namespace MlNetStem.Model;

/// <summary>What a model archive's manifest records about the archive itself (<see cref="ModelArchive.ReadInfo"/>).</summary>
/// <param name="FormatVersion">Archive format version.</param>
/// <param name="CreatedBy">The MlNetStem version that wrote it.</param>
/// <param name="CreatedUtc">When it was written (UTC).</param>
/// <param name="Training">What the model was trained on, when the writer recorded it.</param>
public sealed record ModelArchiveInfo(int FormatVersion, string CreatedBy, DateTime CreatedUtc, TrainingDataSummary? Training = null);
