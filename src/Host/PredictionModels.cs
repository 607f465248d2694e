using MlNetStem.Data;
using MlNetStem.Transforms.Expression;

namespace MlNetStem.Host;

/// <summary>How a fitted pipeline is used to predict (rather than to train or evaluate).</summary>
public static class PredictionModels
{
    /// <summary>Companion columns written next to the prediction in CSV (a diffusion model's, and the unclipped prediction of --keep-raw), with their column suffixes.</summary>
    public static IReadOnlyList<(string Column, string Suffix)> CsvCompanions { get; } =
    [
        ("ScoreStd", "std"), ("ScoreMean", "mean"), ("ScoreLower80", "lower80"), ("ScoreUpper80", "upper80"), ("ScoreLower90", "lower90"), ("ScoreUpper90", "upper90"),
        (PredictionClipping.RawColumn, "raw"),
    ];

    /// <summary>
    /// The pipeline without its <see cref="DropEmptySpotsTransformer"/>: every spot gets a prediction from its image,
    /// whatever its measured counts. Dropping spots without panel counts belongs to training (they carry no signal) and
    /// evaluation (they have nothing to compare with); at prediction it would make the predicted spots depend on the
    /// measured counts.
    /// </summary>
    public static ITransformer ForEverySpot(ITransformer model)
    {
        if (model is not IEnumerable<ITransformer> steps || !steps.OfType<DropEmptySpotsTransformer>().Any()) return model;
        return new TransformerChain<ITransformer>(steps.Where(t => t is not DropEmptySpotsTransformer).ToArray());
    }

    /// <summary>Notes how many predicted spots have no counts in the panel (they are predicted like the others).</summary>
    public static void ReportSpotsWithoutPanelCounts(InMemoryDataView scored, TextWriter log)
    {
        if (scored.Schema.Find("Expression") is not { Type.Kind: ColumnKind.FloatTensor } column) return;
        int width = column.Type.Size, empty = 0;
        var values = (float[])scored.GetColumnArray("Expression");
        for (int r = 0; r < scored.Rows; r++)
            if (values.AsSpan(r * width, width).IndexOfAnyExcept(0f) < 0) empty++;
        if (empty > 0)
            log.WriteLine($"note: {empty} of {scored.Rows} spots have no measured counts in the panel; they are predicted from their image like every other spot " +
                "(training and evaluation leave such spots out)");
    }
}
