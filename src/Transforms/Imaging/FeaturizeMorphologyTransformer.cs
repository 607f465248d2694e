using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>Computes morphology features of each patch, in parallel across the batch.</summary>
[ModelComponent("FeaturizeMorphology", 1)]
public sealed class FeaturizeMorphologyTransformer(string outputColumn, string inputColumn)
    : ColumnMapperTransformer(outputColumn, inputColumn)
{
    /// <inheritdoc />
    protected override SchemaColumn GetOutputColumn(DataViewSchema inputSchema, SchemaColumn input)
    {
        CheckPatchShape(InputColumn, input.Type);
        return new SchemaColumn(OutputColumn, ColumnType.FloatTensor(MorphologyFeatures.Count), MorphologyFeatures.Names);
    }

    /// <summary>Patches must be 3 × S × S with S ≥ 16.</summary>
    /// <exception cref="SchemaMismatchException">Another shape.</exception>
    internal static void CheckPatchShape(string column, ColumnType type)
    {
        if (type.Kind != ColumnKind.FloatTensor || !type.IsKnownSize) return;
        var d = type.Dimensions;
        if (d.Count != 3 || d[0] != 3 || d[1] != d[2] || d[1] < 16)
            throw new SchemaMismatchException(column, "RGB patches Tensor<Float32>[3×S×S] with S ≥ 16", type.ToString(), "FeaturizeMorphology");
    }

    /// <inheritdoc />
    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, SchemaColumn output, List<IDisposable> resources)
    {
        int size = inputSchema[InputColumn].Type.Dimensions[1];
        int patchLength = 3 * size * size, width = MorphologyFeatures.Count;
        return batch =>
        {
            var patches = batch.GetFloats(InputColumn);
            var features = new float[batch.RowCount * width];
            Parallel.For(0, batch.RowCount, r =>
                MorphologyFeatures.Compute(patches.AsSpan(r * patchLength, patchLength), size, features.AsSpan(r * width, width)));
            return features;
        };
    }

    /// <inheritdoc />
    public override void Save(ModelSaveContext context) => context.WriteJson("options.json", new State(OutputColumn, InputColumn));

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ModelLoadContext context)
    {
        var s = context.ReadJson<State>("options.json");
        return new FeaturizeMorphologyTransformer(s.OutputColumn, s.InputColumn);
    }

    private sealed record State(string OutputColumn, string InputColumn);
}
