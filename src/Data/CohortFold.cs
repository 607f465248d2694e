namespace MlNetStem.Data;

/// <summary>One fold of a cohort protocol: the sections a model is fitted on and the sections it is scored on.</summary>
/// <param name="Name">Fold name for tables (the held-out section or patient).</param>
/// <param name="Train">Names of the training sections.</param>
/// <param name="Test">Names of the test sections (disjoint from <paramref name="Train"/>).</param>
public sealed record CohortFold(string Name, IReadOnlyList<string> Train, IReadOnlyList<string> Test);
