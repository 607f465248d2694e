using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Transforms.Context;

namespace MlNetStem.Host;

/// <summary>
/// Dense maps for models that read a neighbourhood (HisDiff, or a regressor with <c>--context</c>). Every tile is
/// featurized first (block by block), then contexts are taken over all tiles at once, so a tile at a block's edge still
/// sees its neighbours. Contexts keep the training scale: with a map stride finer than the training spots' pitch P, the
/// tiles are split into interleaved lattices of pitch ≈ P (tile column and row modulo round(P / stride)), each treated as
/// its own section, so "the 9 nearest spots" of a tile are the tiles about P apart around it, as in training.
/// </summary>
internal static class ContextTileScorer
{
    /// <summary>Most embedding values held for a map (1 GiB of floats); beyond that the map needs a coarser stride.</summary>
    private const long MaxFeatureValues = 1L << 28;

    /// <summary>Whether <paramref name="model"/>'s top-level steps include a NeighbourContext step.</summary>
    public static bool Applies(ITransformer model) =>
        model is IEnumerable<ITransformer> steps && steps.OfType<NeighbourContextTransformer>().Any();

    /// <summary>Predicts every tile; returns the prediction [tiles, genes], its std when the model gives one, and the genes.</summary>
    /// <exception cref="InvalidDataException">The tiles' embeddings would not fit in memory.</exception>
    public static (float[] Scores, float[]? Std, List<string> Genes) Predict(MLContext ctx, ITransformer model, SlideReference slide,
        IReadOnlyList<(double X, double Y)> centres, double strideMicrons, int blockTiles, TextWriter log)
    {
        var steps = ((IEnumerable<ITransformer>)model).ToArray();
        int first = Array.FindIndex(steps, t => t is NeighbourContextTransformer);
        var contexts = steps.OfType<NeighbourContextTransformer>().ToArray();
        string input = contexts[0].Options.InputColumn;
        double mpp = slide.MicronsPerPixel ?? 1, pitchPixels = strideMicrons / mpp;
        double? trained = contexts[0].TrainingPitchMicrons;
        int lattice = trained is { } p ? Math.Max(1, (int)Math.Round(p / strideMicrons)) : 1;
        log.WriteLine(trained is { } t
            ? $"context at the training pitch: spots were {t:0.#} µm apart, so each tile's neighbours are the tiles {lattice * strideMicrons:0.#} µm apart " +
              $"({lattice}×{lattice} interleaved lattices)"
            : "note: the model does not record its training spots' pitch (saved by an older version): contexts use adjacent tiles");

        // 1. Embeddings of every tile, block by block (patches are released with each block).
        float[]? features = null;
        DataViewType? featureType = null;
        using (var scope = ctx.SpatialExpression().Progress.Start("featurizing tiles", centres.Count))
            for (int start = 0; start < centres.Count; start += blockTiles)
            {
                int n = Math.Min(blockTiles, centres.Count - start);
                IDataView view = TileGrid.ToSpots(slide, centres.Skip(start).Take(n).ToArray());
                foreach (var step in steps[..first]) view = step.Transform(view);
                featureType ??= view.Schema[input].Type;
                int width = ColumnTypes.ValuesPerRow(featureType);
                features ??= (long)centres.Count * width <= MaxFeatureValues ? new float[centres.Count * width]
                    : throw new InvalidDataException($"{centres.Count} tiles × {width} features is too much to hold for a map with context: use a coarser --stride-um");
                var block = (float[])DataViewMaterializer.Materialize(view, [input], batchSize: 64).GetColumnArray(input);
                block.CopyTo(features, (long)start * width);
                scope.Advance(n);
            }

        // 2. Contexts over all tiles, then the model's remaining steps.
        var spots = TileGrid.ToSpots(slide, centres);
        var columns = new List<DataViewSchema.DetachedColumn>(spots.Schema.Select(c => new DataViewSchema.DetachedColumn(c.Name, c.Type, c.Annotations)))
        {
            SchemaColumns.Create(input, featureType!),
        };
        var values = spots.Schema.ToDictionary(c => c.Name, c => spots.GetColumnArray(c.Name), StringComparer.Ordinal);
        values[input] = features!;
        var lattices = centres.Select(c => $"{Mod((int)Math.Round(c.X / pitchPixels - 0.5), lattice)},{Mod((int)Math.Round(c.Y / pitchPixels - 0.5), lattice)}").ToArray();
        foreach (string section in contexts.Select(c => c.Options.SectionColumn).Distinct(StringComparer.Ordinal))
        {
            columns.RemoveAll(c => c.Name == section);
            columns.Add(SchemaColumns.Create(section, ColumnTypes.Text));
            values[section] = lattices;
        }
        IDataView scored = new InMemoryDataView(columns.AsEnumerable(), centres.Count, values);
        foreach (var step in steps[first..]) scored = step.Transform(scored);
        bool hasStd = scored.Schema.Find("ScoreStd") is not null;
        InMemoryDataView result;
        using (var scope = ctx.SpatialExpression().Progress.Start("predicting tiles", centres.Count))
            result = DataViewMaterializer.Materialize(scored, hasStd ? ["Score", "ScoreStd"] : ["Score"], onBatch: n => scope.Advance(n), batchSize: 256);
        var score = result.Schema["Score"];
        var genes = score.SlotNames?.ToList() ?? Enumerable.Range(0, score.Type.Size).Select(i => $"gene{i}").ToList();
        return ((float[])result.GetColumnArray("Score"), hasStd ? (float[])result.GetColumnArray("ScoreStd") : null, genes);
    }

    private static int Mod(int value, int modulus) => ((value % modulus) + modulus) % modulus;
}
