namespace MlNetStem.Data.Reporting;

/// <summary>
/// One model's predictions over a section, read into arrays (spots × genes, row-major): the score, its spread and
/// intervals when the model gives them, the measured expression when the section had counts, and where each spot is.
/// </summary>
public sealed class ScoredSpots
{
    private ScoredSpots(string[] genes, string[] barcodes, double[]? x, double[]? y)
    {
        Genes = genes;
        Barcodes = barcodes;
        X = x;
        Y = y;
    }

    /// <summary>Panel genes (the score's slot names), in column order.</summary>
    public IReadOnlyList<string> Genes { get; }

    /// <summary>Spot barcodes (row numbers when the view has none).</summary>
    public IReadOnlyList<string> Barcodes { get; }

    /// <summary>Full-resolution pixel x of each spot, or null when the view has no coordinates.</summary>
    public double[]? X { get; }

    /// <summary>Full-resolution pixel y of each spot, or null.</summary>
    public double[]? Y { get; }

    /// <summary>Number of spots.</summary>
    public int Rows => Barcodes.Count;

    /// <summary>Predicted expression.</summary>
    public float[] Predicted { get; private init; } = [];

    /// <summary>Standard deviation of the draws (diffusion models), else null.</summary>
    public float[]? Std { get; private init; }

    /// <summary>Interval bounds by nominal level in percent (80, 90), for models that give them.</summary>
    public IReadOnlyDictionary<int, (float[] Lower, float[] Upper)> Intervals { get; private init; } =
        new Dictionary<int, (float[], float[])>();

    /// <summary>Measured expression over the same genes, when the section had counts.</summary>
    public float[]? Observed { get; private init; }

    /// <summary>Value of gene <paramref name="gene"/> at spot <paramref name="row"/> in a spots × genes array.</summary>
    public float At(float[] values, int row, int gene) => values[row * Genes.Count + gene];

    /// <summary>Reads a scored view (as written by prediction: Score, ScoreStd, ScoreLower80/Upper80, ..., Expression).</summary>
    /// <exception cref="SchemaMismatchException">No float-vector score column.</exception>
    /// <exception cref="InvalidDataException">The view has no rows.</exception>
    public static ScoredSpots Read(IDataView scored, string scoreColumn = "Score")
    {
        ArgumentNullException.ThrowIfNull(scored);
        var schema = scored.Schema;
        var score = schema.RequireKind(scoreColumn, "report", ColumnKind.FloatTensor);
        int width = score.Type.Size;
        string[] genes = score.SlotNames?.ToArray() ?? Enumerable.Range(0, width).Select(i => $"{scoreColumn}{i}").ToArray();
        bool SameShape(string name) => schema.Find(name) is { } c && c.Type.Kind == ColumnKind.FloatTensor && c.Type.Size == width;

        var columns = new List<string> { scoreColumn };
        string? std = SameShape(scoreColumn + "Std") ? scoreColumn + "Std" : null;
        if (std is not null) columns.Add(std);
        int[] levels = [.. new[] { 80, 90 }.Where(l => SameShape($"{scoreColumn}Lower{l}") && SameShape($"{scoreColumn}Upper{l}"))];
        foreach (int l in levels) columns.AddRange([$"{scoreColumn}Lower{l}", $"{scoreColumn}Upper{l}"]);
        string? observed = SameShape(PredictionH5adWriter.ObservedColumn)
            && (schema[PredictionH5adWriter.ObservedColumn].SlotNames is not { } names || names.SequenceEqual(genes, StringComparer.Ordinal))
            ? PredictionH5adWriter.ObservedColumn : null;
        if (observed is not null) columns.Add(observed);
        bool hasBarcode = schema.Find(SpotColumns.Barcode) is { Type.Kind: ColumnKind.Text };
        bool hasPixels = schema.Find(SpotColumns.PixelX) is not null && schema.Find(SpotColumns.PixelY) is not null;
        if (hasBarcode) columns.Add(SpotColumns.Barcode);
        if (hasPixels) columns.AddRange([SpotColumns.PixelX, SpotColumns.PixelY]);

        var values = columns.ToDictionary(c => c, _ => new List<float>(), StringComparer.Ordinal);
        var barcodes = new List<string>();
        var x = new List<double>();
        var y = new List<double>();
        foreach (var batch in scored.ReadBatches(columns, 256))
        {
            foreach (var (column, list) in values)
                if (column is not (SpotColumns.Barcode or SpotColumns.PixelX or SpotColumns.PixelY)) list.AddRange(batch.GetFloats(column));
            barcodes.AddRange(hasBarcode ? batch.GetTexts(SpotColumns.Barcode)
                : Enumerable.Range(barcodes.Count, batch.RowCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (hasPixels)
            {
                x.AddRange(batch.GetNumbersAsDoubles(SpotColumns.PixelX));
                y.AddRange(batch.GetNumbersAsDoubles(SpotColumns.PixelY));
            }
        }
        if (barcodes.Count == 0) throw new InvalidDataException("The scored view has no spots to report.");
        return new ScoredSpots(genes, barcodes.ToArray(), hasPixels ? x.ToArray() : null, hasPixels ? y.ToArray() : null)
        {
            Predicted = values[scoreColumn].ToArray(),
            Std = std is null ? null : values[std].ToArray(),
            Intervals = levels.ToDictionary(l => l, l => (values[$"{scoreColumn}Lower{l}"].ToArray(), values[$"{scoreColumn}Upper{l}"].ToArray())),
            Observed = observed is null ? null : values[observed].ToArray(),
        };
    }
}
