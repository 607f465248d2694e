using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Expression;

/// <summary>Projects a counts vector onto a fixed gene panel, matching genes by name.</summary>
[ModelComponent("SelectGenes", 1)]
public sealed class SelectGenesTransformer : ColumnMapperTransformer
{
    private readonly string[] _genes;

    /// <summary>Creates the transformer for a known panel.</summary>
    public SelectGenesTransformer(string outputColumn, string inputColumn, string[] genes, MissingGenePolicy missingGenes)
        : base(outputColumn, inputColumn)
    {
        if (genes.Length == 0) throw new ArgumentException("A gene panel needs at least one gene.");
        _genes = genes;
        MissingGenes = missingGenes;
    }

    /// <summary>The panel, in output order.</summary>
    public IReadOnlyList<string> Genes => _genes;

    /// <summary>Behaviour for genes absent from the data.</summary>
    public MissingGenePolicy MissingGenes { get; }

    /// <inheritdoc />
    protected override bool OptionalInput => true;

    /// <inheritdoc />
    protected override DataViewSchema.DetachedColumn GetOutputColumn(DataViewSchema inputSchema, DataViewSchema.Column input)
    {
        var slotNames = input.SlotNames;
        if (input.Type.Kind != ColumnKind.FloatTensor || slotNames is null)
            throw new SchemaMismatchException(InputColumn, "a counts vector with gene names", input.Type.ToString(), "SelectGenes");
        if (MissingGenes == MissingGenePolicy.Error)
        {
            var present = slotNames.ToHashSet(StringComparer.Ordinal);
            var missing = _genes.Where(g => !present.Contains(g)).ToArray();
            if (missing.Length > 0)
                throw new SchemaMismatchException(InputColumn,
                    $"counts for all {_genes.Length} panel genes",
                    $"counts lacking {missing.Length} of them ({string.Join(", ", missing.Take(10))}{(missing.Length > 10 ? ", ..." : "")})",
                    "SelectGenes");
        }
        return SchemaColumns.Create(OutputColumn, ColumnTypes.FloatTensor(_genes.Length), _genes);
    }

    /// <inheritdoc />
    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, DataViewSchema.DetachedColumn output, List<IDisposable> resources)
    {
        var input = inputSchema[InputColumn];
        var slotNames = input.SlotNames!;
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < slotNames.Count; i++) position.TryAdd(slotNames[i], i);
        var index = _genes.Select(g => position.GetValueOrDefault(g, -1)).ToArray();
        int width = input.Type.Size, k = _genes.Length;
        return batch =>
        {
            var source = batch.GetFloats(InputColumn);
            var result = new float[batch.RowCount * k];
            for (int r = 0; r < batch.RowCount; r++)
                for (int g = 0; g < k; g++)
                    if (index[g] >= 0) result[r * k + g] = source[r * width + index[g]];
            return result;
        };
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context) =>
        context.WriteJson("panel.json", new State(OutputColumn, InputColumn, _genes, MissingGenes));

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ComponentLoadContext context)
    {
        var s = context.ReadJson<State>("panel.json");
        return new SelectGenesTransformer(s.OutputColumn, s.InputColumn, s.Genes, s.MissingGenes);
    }

    private sealed record State(string OutputColumn, string InputColumn, string[] Genes, MissingGenePolicy MissingGenes);
}
