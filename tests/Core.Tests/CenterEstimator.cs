using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Core.Tests;

/// <summary>Test estimator: learns the mean of a float column and subtracts it.</summary>
public sealed class CenterEstimator(string output, string input) : IEstimator<CenterTransformer>
{
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        inputSchema.Require(input, ColumnType.Float32, nameof(CenterEstimator));
        return inputSchema.With(new SchemaShapeColumn(output, ColumnType.Float32));
    }

    public CenterTransformer Fit(IDataView data)
    {
        GetOutputSchema(SchemaShape.From(data.Schema));
        var values = data.ReadBatches([input]).SelectMany(b => b.GetFloats(input)).ToArray();
        return new CenterTransformer(output, input, values.Average());
    }
}

[ModelComponent("TestCenter", 2, OldestReadableVersion = 2)]
public sealed class CenterTransformer(string output, string input, float mean) : ColumnMapperTransformer(output, input)
{
    public float Mean { get; } = mean;

    public bool FailOnSave { get; init; }

    protected override SchemaColumn GetOutputColumn(DataViewSchema inputSchema, SchemaColumn column) =>
        column.Type.Equals(ColumnType.Float32)
            ? new SchemaColumn(OutputColumn, ColumnType.Float32)
            : throw new SchemaMismatchException(InputColumn, "Float32", column.Type.ToString(), "TestCenter");

    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, SchemaColumn output, List<IDisposable> resources) =>
        batch => batch.GetFloats(InputColumn).Select(v => v - Mean).ToArray();

    public override void Save(ModelSaveContext context)
    {
        context.WriteJson("center.json", new State(OutputColumn, InputColumn, Mean));
        if (FailOnSave) throw new IOException("disk full (simulated)");
    }

    public static ITransformer Load(ModelLoadContext context)
    {
        var s = context.ReadJson<State>("center.json");
        return new CenterTransformer(s.Output, s.Input, s.Mean);
    }

    private sealed record State(string Output, string Input, float Mean);
}
