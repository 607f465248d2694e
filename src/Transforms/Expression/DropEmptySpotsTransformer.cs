using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Expression;

/// <summary>
/// Filters out rows whose vector in <see cref="Column"/> is all zero. Passes data through
/// unchanged when the column is absent (prediction on unsequenced sections).
/// </summary>
[ModelComponent("DropEmptySpots", 1)]
public sealed class DropEmptySpotsTransformer(string column) : ArchivableTransformer
{
    /// <summary>The column tested.</summary>
    public string Column { get; } = column;

    /// <inheritdoc />
    public override DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        if (inputSchema.Find(Column) is { } c && c.Type.Kind != ColumnKind.FloatTensor)
            throw new SchemaMismatchException(Column, "a float vector", c.Type.ToString(), "DropEmptySpots");
        return inputSchema;
    }

    /// <inheritdoc />
    public override IDataView Transform(IDataView input)
    {
        GetOutputSchema(input.Schema);
        if (input.Schema.Find(Column) is null) return input;
        int width = input.Schema[Column].Type.Size;
        return new FilteredDataView(input, [Column], batch =>
        {
            var values = batch.GetFloats(Column);
            var keep = new bool[batch.RowCount];
            for (int r = 0; r < batch.RowCount; r++)
            {
                foreach (float v in values.AsSpan(r * width, width))
                    if (v != 0 && !float.IsNaN(v)) { keep[r] = true; break; }
            }
            return keep;
        });
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context) => context.WriteJson("options.json", new State(Column));

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ComponentLoadContext context) => new DropEmptySpotsTransformer(context.ReadJson<State>("options.json").Column);

    private sealed record State(string Column);
}
