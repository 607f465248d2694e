using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>
/// Streams spot patches batch by batch: slides are opened through <see cref="SlideCache.Shared"/>
/// (OpenSlide for whole-slide formats, libvips otherwise), so cursors share an open, decoded image;
/// patches are read in parallel from the pyramid level that suits the requested resolution, and
/// only the current batch's patches are ever in memory.
/// <para>
/// Reading a truncated or corrupt image throws one <see cref="InvalidDataException"/> naming the file and libvips' or
/// OpenSlide's reason (never the parallel loop's <see cref="AggregateException"/>), and the failed slide is dropped from
/// the cache; an image decoded whole into memory that is larger than <see cref="SlideLimits.MaxDecodedMegapixels"/> is
/// refused from its header, before decoding, with an <see cref="InvalidDataException"/> too.
/// </para>
/// </summary>
[ModelComponent("LoadPatches", 1)]
public sealed class LoadPatchesTransformer : ColumnMapperTransformer
{
    /// <summary>Creates the transformer.</summary>
    public LoadPatchesTransformer(LoadPatchesOptions options) : base(options.OutputColumn, options.ImageColumn)
    {
        options.Validate();
        Options = options;
    }

    /// <summary>The options in force.</summary>
    public LoadPatchesOptions Options { get; }

    /// <inheritdoc />
    protected override IReadOnlyList<string> ExtraInputs => [Options.XColumn, Options.YColumn];

    /// <inheritdoc />
    protected override DataViewSchema.DetachedColumn GetOutputColumn(DataViewSchema inputSchema, DataViewSchema.Column input)
    {
        const string who = "LoadPatches";
        inputSchema.RequireKind(Options.ImageColumn, who, ColumnKind.Image);
        inputSchema.RequireKind(Options.XColumn, who, ColumnKind.Float64, ColumnKind.Float32, ColumnKind.Int32);
        inputSchema.RequireKind(Options.YColumn, who, ColumnKind.Float64, ColumnKind.Float32, ColumnKind.Int32);
        return SchemaColumns.Create(OutputColumn, ColumnTypes.FloatTensor(3, Options.SizePixels, Options.SizePixels));
    }

    /// <inheritdoc />
    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, DataViewSchema.DetachedColumn output, List<IDisposable> resources)
    {
        // Slides come from the process-wide cache: each cursor holds a lease on the slides it reads,
        // and a JPEG decoded for one cursor (Fit, an earlier pass) is not decoded again for the next.
        var leases = new SlideLeases("LoadPatches");
        resources.Add(leases);
        int size = Options.SizePixels, patchLength = 3 * size * size;
        return batch =>
        {
            var refs = batch.GetImages(Options.ImageColumn);
            var xs = batch.GetNumbersAsDoubles(Options.XColumn);
            var ys = batch.GetNumbersAsDoubles(Options.YColumn);
            var opened = new ISlide[batch.RowCount];
            var sourceSizes = new double[batch.RowCount];
            for (int r = 0; r < batch.RowCount; r++)
            {
                var image = leases.Slide(refs[r], r);
                var reference = refs[r]!;
                double mpp = leases.MicronsPerPixel(reference, image, Options.MicronsPerPixel, "a patch of a physical size needs one");
                var full = image.Levels[0];
                if (!(xs[r] >= 0 && xs[r] < full.Width && ys[r] >= 0 && ys[r] < full.Height))
                    throw new InvalidDataException(
                        $"LoadPatches: spot centre ({xs[r]:0.#}, {ys[r]:0.#}) lies outside image '{Path.GetFileName(reference.Path)}' ({full.Width}×{full.Height} px).");
                opened[r] = image;
                sourceSizes[r] = Options.SizeMicrons / mpp;
            }
            // PatchSampler writes every value of each patch, so the batch needs no zeroing (at 224 px
            // a batch of 64 is 38.5 MB of large-object heap).
            var patches = GC.AllocateUninitializedArray<float>(batch.RowCount * patchLength);
            leases.ReadParallel(batch.RowCount, r => refs[r]!.Path,
                r => PatchSampler.Read(opened[r], xs[r], ys[r], sourceSizes[r], size, patches.AsSpan(r * patchLength, patchLength)));
            return patches;
        };
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context) => context.WriteJson("options.json", Options);

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ComponentLoadContext context) =>
        new LoadPatchesTransformer(context.ReadJson<LoadPatchesOptions>("options.json"));
}
