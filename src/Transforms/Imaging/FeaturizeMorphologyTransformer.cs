using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>
/// Computes morphology features of each patch (optionally of its 8 dihedral views), in parallel
/// across the batch. Format 2 added the dihedral option; format 1 archives still load.
/// </summary>
[ModelComponent("FeaturizeMorphology", 2, OldestReadableVersion = 1)]
public sealed class FeaturizeMorphologyTransformer(string outputColumn, string inputColumn, bool dihedralViews = false)
    : ColumnMapperTransformer(outputColumn, inputColumn)
{
    /// <summary>True when the output holds the features of all 8 dihedral views, <c>[8, D]</c>.</summary>
    public bool DihedralViews { get; } = dihedralViews;

    /// <summary>The output type: <c>[D]</c>, or <c>[8, D]</c> with dihedral views.</summary>
    internal static DataViewType OutputType(bool dihedralViews) => dihedralViews
        ? ColumnTypes.FloatTensor(DihedralTransform.Views, MorphologyFeatures.Count)
        : ColumnTypes.FloatTensor(MorphologyFeatures.Count);

    private static readonly IReadOnlyList<string> ViewSlotNames = Enumerable.Range(0, DihedralTransform.Views)
        .SelectMany(v => MorphologyFeatures.Names.Select(n => $"view{v}:{n}")).ToArray();

    /// <inheritdoc />
    protected override DataViewSchema.DetachedColumn GetOutputColumn(DataViewSchema inputSchema, DataViewSchema.Column input)
    {
        CheckPatchShape(InputColumn, ImagePatches.PatchTypeOf(InputColumn, input.Type, "FeaturizeMorphology"));
        return SchemaColumns.Create(OutputColumn, OutputType(DihedralViews), DihedralViews ? ViewSlotNames : MorphologyFeatures.Names);
    }

    /// <summary>Patches must be 3 × S × S with S ≥ 16.</summary>
    /// <exception cref="SchemaMismatchException">Another shape.</exception>
    internal static void CheckPatchShape(string column, DataViewType type)
    {
        if (type.Kind != ColumnKind.FloatTensor)
            throw new SchemaMismatchException(column, "RGB patches Tensor<Float32>[3×S×S] with S ≥ 16", type.ToString(), "FeaturizeMorphology");
        if (!type.IsKnownSize) return;
        var d = type.Dimensions;
        if (d.Count != 3 || d[0] != 3 || d[1] != d[2] || d[1] < 16)
            throw new SchemaMismatchException(column, "RGB patches Tensor<Float32>[3×S×S] with S ≥ 16", type.ToString(), "FeaturizeMorphology");
    }

    /// <inheritdoc />
    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, DataViewSchema.DetachedColumn output, List<IDisposable> resources)
    {
        var inputType = inputSchema[InputColumn].Type;
        int size = ImagePatches.PatchTypeOf(InputColumn, inputType, "FeaturizeMorphology").Dimensions[1];
        int patchLength = 3 * size * size, width = MorphologyFeatures.Count;
        int views = DihedralViews ? DihedralTransform.Views : 1;
        return batch =>
        {
            var patches = ImagePatches.Read(batch, InputColumn, inputType, "FeaturizeMorphology");
            var features = new float[batch.RowCount * views * width];
            Parallel.For(0, batch.RowCount * views, ComputeThreads.ParallelOptions, i =>
            {
                int r = i / views, v = i % views;
                var patch = patches.AsSpan(r * patchLength, patchLength);
                var destination = features.AsSpan(i * width, width);
                if (v == 0)
                {
                    MorphologyFeatures.Compute(patch, size, destination);
                    return;
                }
                var turned = new float[patchLength];
                DihedralTransform.Apply(patch, 3, size, v, turned);
                MorphologyFeatures.Compute(turned, size, destination);
            });
            return features;
        };
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context) => context.WriteJson("options.json", new State(OutputColumn, InputColumn, DihedralViews));

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ComponentLoadContext context)
    {
        var s = context.ReadJson<State>("options.json");
        return new FeaturizeMorphologyTransformer(s.OutputColumn, s.InputColumn, s.DihedralViews);
    }

    private sealed record State(string OutputColumn, string InputColumn, bool DihedralViews = false);
}
