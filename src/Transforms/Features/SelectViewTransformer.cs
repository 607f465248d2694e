using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Features;

/// <summary>Copies view <see cref="View"/> of an <c>[A, D]</c> column into a <c>[D]</c> column.</summary>
[ModelComponent("SelectView", 1)]
public sealed class SelectViewTransformer : ColumnMapperTransformer
{
    /// <summary>Creates the transformer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative view.</exception>
    public SelectViewTransformer(string outputColumn, string inputColumn, int view) : base(outputColumn, inputColumn)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(view);
        View = view;
    }

    /// <summary>The view copied.</summary>
    public int View { get; }

    /// <summary>The <c>[D]</c> type of one view of <paramref name="type"/>; unknown when the input size is unknown.</summary>
    /// <exception cref="SchemaMismatchException">Not a 2-D tensor, or the view is out of range.</exception>
    internal static DataViewType ViewType(string column, DataViewType type, int view)
    {
        if (!type.IsKnownSize) return ColumnTypes.FloatVectorOfUnknownSize;
        if (type.Dimensions.Count != 2 || view >= type.Dimensions[0])
            throw new SchemaMismatchException(column, $"a multi-view tensor [A, D] with more than {view} views", type.ToString(), "SelectView");
        return ColumnTypes.FloatTensor(type.Dimensions[1]);
    }

    /// <inheritdoc />
    protected override DataViewSchema.DetachedColumn GetOutputColumn(DataViewSchema inputSchema, DataViewSchema.Column input)
    {
        if (input.Type.Kind != ColumnKind.FloatTensor)
            throw new SchemaMismatchException(InputColumn, "a multi-view tensor [A, D]", input.Type.ToString(), "SelectView");
        var type = ViewType(InputColumn, input.Type, View);
        var names = input.SlotNames?.Skip(View * type.Size).Take(type.Size).ToArray();
        return SchemaColumns.Create(OutputColumn, type, names);
    }

    /// <inheritdoc />
    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, DataViewSchema.DetachedColumn output, List<IDisposable> resources)
    {
        int width = output.Type.Size, rowLength = inputSchema[InputColumn].Type.Size;
        return batch =>
        {
            var source = batch.GetFloats(InputColumn);
            var result = new float[batch.RowCount * width];
            for (int r = 0; r < batch.RowCount; r++)
                Array.Copy(source, r * rowLength + View * width, result, r * width, width);
            return result;
        };
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context) => context.WriteJson("options.json", new State(OutputColumn, InputColumn, View));

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ComponentLoadContext context)
    {
        var s = context.ReadJson<State>("options.json");
        return new SelectViewTransformer(s.OutputColumn, s.InputColumn, s.View);
    }

    private sealed record State(string OutputColumn, string InputColumn, int View);
}
