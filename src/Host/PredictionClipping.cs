using MlNetStem.Data;

namespace MlNetStem.Host;

/// <summary>
/// Clips predicted log2(x+1) expression at 0 before it is written (.h5ad and CSV alike): a regressor or a diffusion
/// draw can go below 0, which no count gives. The prediction, its mean and the interval bounds are clipped; the std is
/// not (it describes the unclipped draws). With <c>keepRaw</c> the unclipped prediction stays as Score+"Raw".
/// </summary>
public static class PredictionClipping
{
    /// <summary>The unclipped prediction's column ("ScoreRaw": layer "raw" of the .h5ad, <c>GENE_raw</c> columns of the CSV).</summary>
    public const string RawColumn = "Score" + PredictionH5adWriter.RawSuffix;

    /// <summary>
    /// <paramref name="scored"/> with Score, ScoreMean, ScoreLower*, ScoreUpper* (float vectors) clipped at 0, and with
    /// <paramref name="keepRaw"/> the unclipped Score as <see cref="RawColumn"/>; other columns are shared, not copied.
    /// </summary>
    public static InMemoryDataView ClipAtZero(InMemoryDataView scored, bool keepRaw)
    {
        ArgumentNullException.ThrowIfNull(scored);
        var columns = new Dictionary<string, Array>(StringComparer.Ordinal);
        var schema = new List<DataViewSchema.DetachedColumn>();
        foreach (var c in scored.Schema.Visible())
        {
            if (c.Name == RawColumn) continue;
            schema.Add(new DataViewSchema.DetachedColumn(c.Name, c.Type, c.Annotations));
            var values = scored.GetColumnArray(c.Name);
            columns[c.Name] = IsClipped(c) ? Clip((float[])values) : values;
        }
        if (keepRaw)
        {
            var score = scored.Schema["Score"];
            schema.Add(new DataViewSchema.DetachedColumn(RawColumn, score.Type, score.Annotations));
            columns[RawColumn] = scored.GetColumnArray("Score");
        }
        return new InMemoryDataView(schema, scored.Rows, columns);
    }

    private static bool IsClipped(DataViewSchema.Column c) =>
        c.Type.Kind == ColumnKind.FloatTensor
        && (c.Name is "Score" or "ScoreMean" || c.Name.StartsWith("ScoreLower", StringComparison.Ordinal) || c.Name.StartsWith("ScoreUpper", StringComparison.Ordinal));

    private static float[] Clip(float[] values)
    {
        var clipped = new float[values.Length];
        // NaN stays NaN (Math.Max would hide a broken prediction as 0).
        for (int i = 0; i < values.Length; i++) clipped[i] = values[i] < 0 ? 0 : values[i];
        return clipped;
    }
}
