using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Core.Tests;

/// <summary>Test estimator: learns the mean of a float column and subtracts it. Counts the rows it reads.</summary>
public sealed class CenterEstimator(string output, string input) : IEstimator<CenterTransformer>
{
    /// <summary>Rows read by <see cref="Fit"/> so far.</summary>
    public int RowsRead { get; private set; }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        inputSchema.Require(input, ColumnTypes.Float32, nameof(CenterEstimator));
        return inputSchema.With(output, ColumnTypes.Float32);
    }

    public CenterTransformer Fit(IDataView data)
    {
        data.Schema.Require(input, ColumnTypes.Float32, nameof(CenterEstimator));
        var values = data.ReadBatches([input]).SelectMany(b => b.GetFloats(input)).ToArray();
        RowsRead += values.Length;
        return new CenterTransformer(output, input, values.Average());
    }
}

[ModelComponent("TestCenter", 2, OldestReadableVersion = 2)]
public sealed class CenterTransformer(string output, string input, float mean, int cursorBatchSize = 64) : ColumnMapperTransformer(output, input)
{
    public float Mean { get; } = mean;

    public bool FailOnSave { get; init; }

    /// <summary>Batches mapped so far (over all views made by this transformer).</summary>
    public int BatchesMapped => _batches;

    /// <summary>Rows mapped so far.</summary>
    public int RowsMapped => _rows;

    private int _batches;
    private int _rows;

    protected override int CursorBatchSize => cursorBatchSize;

    protected override DataViewSchema.DetachedColumn GetOutputColumn(DataViewSchema inputSchema, DataViewSchema.Column column) =>
        column.Type.Equals(ColumnTypes.Float32)
            ? SchemaColumns.Create(OutputColumn, ColumnTypes.Float32)
            : throw new SchemaMismatchException(InputColumn, "Float32", column.Type.ToString(), "TestCenter");

    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, DataViewSchema.DetachedColumn output, List<IDisposable> resources) =>
        batch =>
        {
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _rows, batch.RowCount);
            return batch.GetFloats(InputColumn).Select(v => v - Mean).ToArray();
        };

    public override void Save(ComponentSaveContext context)
    {
        context.WriteJson("center.json", new State(OutputColumn, InputColumn, Mean));
        if (FailOnSave) throw new IOException("disk full (simulated)");
    }

    public static ITransformer Load(ComponentLoadContext context)
    {
        var s = context.ReadJson<State>("center.json");
        return new CenterTransformer(s.Output, s.Input, s.Mean);
    }

    private sealed record State(string Output, string Input, float Mean);
}
