namespace MlNetStem.Data;

/// <summary>Several sections as one spot table (for training on a cohort), with what combining them changed.</summary>
/// <param name="Data">The sections' spots one after the other, with a <see cref="SpotColumns.Section"/> column naming each
/// spot's section; the columns all sections share; <see cref="SpotColumns.Counts"/> over the union of their genes.</param>
/// <param name="Sections">The sections, in order.</param>
/// <param name="Notes">Genes a section lacks (counted as zero there), columns left out because a section lacks them.</param>
public sealed record CombinedSections(InMemoryDataView Data, IReadOnlyList<SpatialSection> Sections, IReadOnlyList<string> Notes);
