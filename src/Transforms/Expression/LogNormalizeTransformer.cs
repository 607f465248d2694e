using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Expression;

/// <summary>Applies log(x + 1), optionally after library-size scaling; rejects NaN and negative counts.</summary>
[ModelComponent("LogNormalize", 1)]
public sealed class LogNormalizeTransformer : ColumnMapperTransformer
{
    /// <summary>Creates the transformer.</summary>
    /// <exception cref="ArgumentException">Non-positive target total.</exception>
    public LogNormalizeTransformer(string outputColumn, string inputColumn, LogBase logBase, float? targetTotal)
        : base(outputColumn, inputColumn)
    {
        if (targetTotal is { } t && !(t > 0)) throw new ArgumentException($"Target total must be positive, got {t}.");
        LogBase = logBase;
        TargetTotal = targetTotal;
    }

    /// <summary>The logarithm used.</summary>
    public LogBase LogBase { get; }

    /// <summary>Library-size target, if any.</summary>
    public float? TargetTotal { get; }

    /// <inheritdoc />
    protected override bool OptionalInput => true;

    /// <inheritdoc />
    protected override DataViewSchema.DetachedColumn GetOutputColumn(DataViewSchema inputSchema, DataViewSchema.Column input)
    {
        if (input.Type.Kind != ColumnKind.FloatTensor)
            throw new SchemaMismatchException(InputColumn, "a float vector of counts", input.Type.ToString(), "LogNormalize");
        return new DataViewSchema.DetachedColumn(OutputColumn, input.Type, input.Annotations);
    }

    /// <inheritdoc />
    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, DataViewSchema.DetachedColumn output, List<IDisposable> resources)
    {
        int width = output.Type.Size;
        float scale = LogBase == LogBase.Two ? 1f / MathF.Log(2f) : 1f;
        return batch =>
        {
            var source = batch.GetFloats(InputColumn);
            var result = new float[source.Length];
            for (int r = 0; r < batch.RowCount; r++)
            {
                var row = source.AsSpan(r * width, width);
                float factor = 1f;
                if (TargetTotal is { } target)
                {
                    float total = 0;
                    foreach (float v in row) total += v;
                    factor = total > 0 ? target / total : 0f;
                }
                for (int g = 0; g < width; g++)
                {
                    float v = row[g];
                    if (!(v >= 0))
                        throw new InvalidDataException($"LogNormalize: column '{InputColumn}' has value {v} (NaN or negative) in a row of this batch, slot {g}.");
                    result[r * width + g] = MathF.Log(1 + v * factor) * scale;
                }
            }
            return result;
        };
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context) =>
        context.WriteJson("options.json", new State(OutputColumn, InputColumn, LogBase, TargetTotal));

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ComponentLoadContext context)
    {
        var s = context.ReadJson<State>("options.json");
        return new LogNormalizeTransformer(s.OutputColumn, s.InputColumn, s.LogBase, s.TargetTotal);
    }

    private sealed record State(string OutputColumn, string InputColumn, LogBase LogBase, float? TargetTotal);
}
