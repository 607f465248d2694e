using Microsoft.ML;
using MlNetStem.Data;
using MlNetStem.Model;

namespace MlNetStem.Pipeline;

/// <summary>
/// Base of transformers that compute one output column from one input column, batch by
/// batch (gene selection, normalization, patches, featurizers). Subclasses state the output
/// type and map batches; schema checks and laziness live here once.
/// </summary>
public abstract class ColumnMapperTransformer : ArchivableTransformer
{
    /// <summary>Creates the transformer.</summary>
    protected ColumnMapperTransformer(string outputColumn, string inputColumn)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumn);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumn);
        OutputColumn = outputColumn;
        InputColumn = inputColumn;
    }

    /// <summary>Column this transformer writes.</summary>
    public string OutputColumn { get; }

    /// <summary>Column this transformer reads.</summary>
    public string InputColumn { get; }

    /// <summary>Display name used in error messages.</summary>
    protected virtual string ComponentName => GetType().Name;

    /// <summary>
    /// When true and the input column is absent, the transformer passes data through
    /// unchanged (expression transforms at prediction time on unsequenced sections).
    /// </summary>
    protected virtual bool OptionalInput => false;

    /// <summary>Other columns the mapping reads, besides <see cref="InputColumn"/>.</summary>
    protected virtual IReadOnlyList<string> ExtraInputs => [];

    /// <summary>Validates the input column and returns the output column it yields.</summary>
    /// <exception cref="SchemaMismatchException">Wrong input type or shape.</exception>
    protected abstract DataViewSchema.DetachedColumn GetOutputColumn(DataViewSchema inputSchema, DataViewSchema.Column input);

    /// <summary>Creates the per-enumeration mapper computing <see cref="OutputColumn"/>.</summary>
    protected abstract Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, DataViewSchema.DetachedColumn output, List<IDisposable> resources);

    /// <summary>Rows computed together when a Microsoft.ML row cursor reads the output.</summary>
    protected virtual int CursorBatchSize => 64;

    /// <inheritdoc />
    public override DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var input = inputSchema.Find(InputColumn);
        if (input is null)
        {
            if (OptionalInput) return inputSchema;
            throw new SchemaMismatchException(InputColumn, "an input column", null, ComponentName);
        }
        foreach (var extra in ExtraInputs)
            if (inputSchema.Find(extra) is null) throw new SchemaMismatchException(extra, "an input column", null, ComponentName);
        return inputSchema.With(GetOutputColumn(inputSchema, input.Value));
    }

    /// <inheritdoc />
    public override IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var outputSchema = GetOutputSchema(input.Schema);
        if (ReferenceEquals(outputSchema, input.Schema)) return input;
        var column = outputSchema[OutputColumn];
        var output = new DataViewSchema.DetachedColumn(column.Name, column.Type, column.Annotations);
        return new MappedDataView(input, [output], [InputColumn, .. ExtraInputs], () => new Mapper(this, input.Schema, output), CursorBatchSize);
    }

    private sealed class Mapper : IBatchMapper
    {
        private readonly List<IDisposable> _resources = new();
        private readonly Func<DataBatch, Array> _map;
        private readonly string _output;

        public Mapper(ColumnMapperTransformer owner, DataViewSchema schema, DataViewSchema.DetachedColumn output)
        {
            _output = output.Name;
            _map = owner.CreateMapper(schema, output, _resources);
        }

        public IReadOnlyDictionary<string, Array> Map(DataBatch input, IReadOnlyCollection<string> produce) =>
            new Dictionary<string, Array> { [_output] = _map(input) };

        public void Dispose()
        {
            foreach (var r in _resources) r.Dispose();
        }
    }
}
