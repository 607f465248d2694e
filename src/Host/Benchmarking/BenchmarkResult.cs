using MlNetStem.Data;

namespace MlNetStem.Host.Benchmarking;

/// <summary>Everything a benchmark measured, with what is needed to rerun it exactly.</summary>
/// <param name="Split">The protocol.</param>
/// <param name="Sections">The cohort.</param>
/// <param name="Folds">The folds, with the panel each fold fitted on its training sections (fold name → genes).</param>
/// <param name="Panels">Per fold, the genes of the panel chosen on its training sections.</param>
/// <param name="Settings">Pipeline settings shared by every trainer.</param>
/// <param name="Trainers">Trainers compared.</param>
/// <param name="Seed">The context seed.</param>
/// <param name="Rows">One row per fold, test section and trainer.</param>
public sealed record BenchmarkResult(CohortSplit Split, IReadOnlyList<SectionEntry> Sections, IReadOnlyList<CohortFold> Folds,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Panels, PipelineSettings Settings, IReadOnlyList<string> Trainers, int Seed,
    IReadOnlyList<BenchmarkRow> Rows);
