namespace MlNetStem.Model;

/// <summary>What a model was trained on, recorded in its archive for <c>mlnetstem inspect</c>.</summary>
/// <param name="Sections">The training sections' names.</param>
/// <param name="Spots">Spots read from those sections (before spots without panel counts are left out).</param>
public sealed record TrainingDataSummary(IReadOnlyList<string> Sections, long Spots);
