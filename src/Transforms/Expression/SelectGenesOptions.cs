namespace MlNetStem.Transforms.Expression;

/// <summary>Options of <see cref="SelectGenesEstimator"/>.</summary>
/// <param name="OutputColumn">Panel column to write (slot names = selected genes).</param>
/// <param name="InputColumn">Counts column with gene names as slot names.</param>
/// <param name="Top">Panel size.</param>
/// <param name="Ranking">How genes are ranked when <paramref name="Genes"/> is not given.</param>
/// <param name="Genes">An explicit panel; overrides ranking.</param>
/// <param name="MissingGenes">Behaviour when data lacks panel genes.</param>
/// <param name="SectionColumn">
/// Section of each spot (text or integer) when several are stacked; <see cref="GeneRanking.StemHighlyVariable"/> finds
/// highly variable genes per section. Used when present.
/// </param>
public sealed record SelectGenesOptions(
    string OutputColumn = "Expression",
    string InputColumn = "Counts",
    int Top = 250,
    GeneRanking Ranking = GeneRanking.ExpressedThenVariable,
    IReadOnlyList<string>? Genes = null,
    MissingGenePolicy MissingGenes = MissingGenePolicy.Error,
    string SectionColumn = "Section");
