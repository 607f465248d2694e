using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>
/// Reads a crop around each nucleus of a spot (<see cref="NucleusCrops"/>: by default 28 px at 0.5 µm/px, values in
/// [-0.5, 0.5]) from the centroids of a <see cref="DetectNucleiTransformer"/> table: output
/// <c>[MaxNuclei, 3, CropPixels, CropPixels]</c>, zeros where the mask says padding. Slides come from
/// <see cref="SlideCache.Shared"/>; a truncated or corrupt image throws one <see cref="InvalidDataException"/> naming it.
/// </summary>
[ModelComponent("LoadNucleusCrops", 1)]
public sealed class LoadNucleusCropsTransformer : ColumnMapperTransformer
{
    /// <summary>Creates the transformer.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public LoadNucleusCropsTransformer(LoadNucleusCropsOptions options) : base(options.OutputColumn, options.NucleiColumn)
    {
        options.Validate();
        Options = options;
    }

    /// <summary>The options in force.</summary>
    public LoadNucleusCropsOptions Options { get; }

    /// <inheritdoc />
    protected override string ComponentName => "LoadNucleusCrops";

    /// <inheritdoc />
    protected override IReadOnlyList<string> ExtraInputs => [Options.MaskColumn, Options.ImageColumn];

    /// <inheritdoc />
    protected override DataViewSchema.DetachedColumn GetOutputColumn(DataViewSchema inputSchema, DataViewSchema.Column input)
    {
        inputSchema.RequireKind(Options.ImageColumn, ComponentName, ColumnKind.Image);
        var dims = ColumnTypes.DimensionsOf(input.Type);
        if (ColumnTypes.KindOf(input.Type) != ColumnKind.FloatTensor || dims.Count != 2 || dims[1] < 2)
            throw new SchemaMismatchException(InputColumn, "a [MaxNuclei, F ≥ 2] float tensor of nucleus rows (x, y first)", ColumnTypes.Describe(input.Type), ComponentName);
        var mask = inputSchema[Options.MaskColumn];
        if (!mask.Type.Equals(ColumnTypes.FloatTensor(dims[0])))
            throw new SchemaMismatchException(Options.MaskColumn, $"a [{dims[0]}] float mask", ColumnTypes.Describe(mask.Type), ComponentName);
        return SchemaColumns.Create(OutputColumn, ColumnTypes.FloatTensor(dims[0], 3, Options.CropPixels, Options.CropPixels));
    }

    /// <inheritdoc />
    protected override int CursorBatchSize => 16;

    /// <inheritdoc />
    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, DataViewSchema.DetachedColumn output, List<IDisposable> resources)
    {
        var leases = new SlideLeases("LoadNucleusCrops");
        resources.Add(leases);
        var dims = ColumnTypes.DimensionsOf(inputSchema[InputColumn].Type);
        int maxNuclei = dims[0], features = dims[1], length = NucleusCrops.Length(Options.CropPixels);
        return batch =>
        {
            int rows = batch.RowCount;
            var refs = batch.GetImages(Options.ImageColumn);
            var table = batch.GetFloats(InputColumn);
            var mask = batch.GetFloats(Options.MaskColumn);
            var slides = new ISlide[rows];
            var mpps = new double[rows];
            for (int r = 0; r < rows; r++)
            {
                slides[r] = leases.Slide(refs[r], r);
                mpps[r] = leases.MicronsPerPixel(refs[r]!, slides[r], Options.MicronsPerPixel, "crops of a physical size need one");
            }
            var crops = new float[rows * maxNuclei * length];
            leases.ReadParallel(rows * maxNuclei, k => refs[k / maxNuclei]!.Path, k =>
            {
                if (mask[k] == 0) return;
                int r = k / maxNuclei;
                NucleusCrops.Read(slides[r], mpps[r], table[k * features], table[k * features + 1], Options.CropMicrons, Options.CropPixels,
                    crops.AsSpan(k * length, length));
            });
            return crops;
        };
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context) => context.WriteJson("options.json", Options);

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ComponentLoadContext context) =>
        new LoadNucleusCropsTransformer(context.ReadJson<LoadNucleusCropsOptions>("options.json"));
}
