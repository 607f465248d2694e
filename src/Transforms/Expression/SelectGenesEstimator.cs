using MlNetStem.Data;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Expression;

/// <summary>
/// Learns a gene panel from training counts (top-k highly expressed and/or highly variable
/// genes) and projects counts onto it. Fitted on training data only, so the test section
/// never influences which genes are predicted.
/// </summary>
public sealed class SelectGenesEstimator : IEstimator<SelectGenesTransformer>
{
    private readonly SelectGenesOptions _options;

    /// <summary>Creates the estimator.</summary>
    /// <exception cref="ArgumentException">Non-positive panel size, an empty/duplicated explicit panel, or no section column name.</exception>
    public SelectGenesEstimator(SelectGenesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Genes is null && options.Top <= 0) throw new ArgumentException($"Panel size must be positive, got {options.Top}.");
        if (options.Genes is { Count: 0 }) throw new ArgumentException("The explicit gene panel is empty.");
        if (options.Genes is { } g && g.Distinct(StringComparer.Ordinal).Count() != g.Count)
            throw new ArgumentException("The explicit gene panel names a gene twice.");
        if (string.IsNullOrEmpty(options.SectionColumn)) throw new ArgumentException("The section column name is empty.");
        _options = options;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var input = inputSchema.RequireKind(_options.InputColumn, nameof(SelectGenesEstimator), ColumnKind.FloatTensor);
        if (!input.HasSlotNames())
            throw new SchemaMismatchException(_options.InputColumn, "a counts vector with gene names", $"{SchemaShapes.Describe(input)} without gene names", nameof(SelectGenesEstimator));
        if (_options.Genes is null && _options.Ranking == GeneRanking.StemHighlyVariable
            && inputSchema.Find(_options.SectionColumn) is { } section
            && SchemaShapes.KindOf(section) is not (ColumnKind.Text or ColumnKind.Int32 or ColumnKind.Int64))
            throw new SchemaMismatchException(_options.SectionColumn, "a section name (text or integer)", SchemaShapes.Describe(section), nameof(SelectGenesEstimator));
        var type = _options.Genes is { } genes ? ColumnTypes.FloatTensor(genes.Count) : ColumnTypes.FloatVectorOfUnknownSize;
        return inputSchema.With(_options.OutputColumn, type, hasSlotNames: true);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">
    /// Counts contain NaN or negative values, or no gene is expressed (for <see cref="GeneRanking.StemHighlyVariable"/>:
    /// none is highly variable once mitochondrial/ribosomal genes are removed, or sections × genes is too large).
    /// </exception>
    /// <exception cref="SchemaMismatchException">The section column is neither text nor integer (stem ranking).</exception>
    public SelectGenesTransformer Fit(IDataView input)
    {
        GetOutputSchema(SchemaShapes.From(input.Schema));
        var column = input.Schema[_options.InputColumn];
        var names = column.SlotNames!;
        if (_options.Genes is { } explicitPanel)
            return new SelectGenesTransformer(_options.OutputColumn, _options.InputColumn, explicitPanel.ToArray(), _options.MissingGenes);
        if (_options.Ranking == GeneRanking.StemHighlyVariable)
            return new SelectGenesTransformer(_options.OutputColumn, _options.InputColumn,
                StemGenePanel.Select(input, _options.InputColumn, _options.SectionColumn, _options.Top), _options.MissingGenes);

        int genes = column.Type.Size;
        var sum = new double[genes];
        var logSum = new double[genes];
        var logSquares = new double[genes];
        var detected = new int[genes];
        int spots = 0;
        foreach (var batch in input.ReadBatches([_options.InputColumn]))
        {
            var values = batch.GetFloats(_options.InputColumn);
            for (int r = 0; r < batch.RowCount; r++)
            {
                for (int g = 0; g < genes; g++)
                {
                    float v = values[r * genes + g];
                    if (!(v >= 0)) throw new InvalidDataException($"SelectGenes: spot {spots + r}, gene {names[g]} has count {v} (NaN or negative).");
                    double l = Math.Log(1 + v);
                    sum[g] += v;
                    logSum[g] += l;
                    logSquares[g] += l * l;
                    if (v > 0) detected[g]++;
                }
            }
            spots += batch.RowCount;
        }
        if (spots == 0) throw new InvalidDataException("SelectGenes: the training data has no spots.");
        var variance = Enumerable.Range(0, genes)
            .Select(g => logSquares[g] / spots - Math.Pow(logSum[g] / spots, 2)).ToArray();
        var expressed = Enumerable.Range(0, genes).Where(g => sum[g] > 0).ToArray();
        if (expressed.Length == 0) throw new InvalidDataException("SelectGenes: no gene has a non-zero count in the training data.");
        int k = Math.Min(_options.Top, expressed.Length);
        // Ties are broken by gene name so the panel is deterministic.
        IEnumerable<int> ByMean(IEnumerable<int> idx) => idx.OrderByDescending(g => sum[g]).ThenBy(g => names[g], StringComparer.Ordinal);
        IEnumerable<int> ByVariance(IEnumerable<int> idx) => idx.OrderByDescending(g => variance[g]).ThenBy(g => names[g], StringComparer.Ordinal);
        var chosen = _options.Ranking switch
        {
            GeneRanking.HighlyExpressed => ByMean(expressed).Take(k),
            GeneRanking.HighlyVariable => ByVariance(expressed.Where(g => detected[g] >= 0.1 * spots).DefaultIfEmpty(expressed[0])).Take(k),
            _ => ByVariance(ByMean(expressed).Take(2 * k)).Take(k),
        };
        return new SelectGenesTransformer(_options.OutputColumn, _options.InputColumn,
            chosen.Select(g => names[g]).ToArray(), _options.MissingGenes);
    }
}
