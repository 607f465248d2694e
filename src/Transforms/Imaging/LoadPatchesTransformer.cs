using System.Runtime.ExceptionServices;
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
        var leases = new Dictionary<string, SlideLease>(StringComparer.Ordinal);
        resources.Add(new LeaseSet(leases));
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
                var reference = refs[r] ?? throw new InvalidDataException($"LoadPatches: row {r} of the batch has no image.");
                if (!leases.TryGetValue(reference.Path, out var lease))
                    leases[reference.Path] = lease = Acquire(reference.Path);
                var image = lease.Slide;
                double mpp = Options.MicronsPerPixel ?? reference.MicronsPerPixel ?? image.MicronsPerPixel ?? throw new InvalidDataException(
                    $"LoadPatches: image '{reference.Path}' has no microns-per-pixel (neither the data nor the file records one) " +
                    "and none was given; a patch of a physical size needs one (set MicronsPerPixel).");
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
            try
            {
                Parallel.For(0, batch.RowCount, ComputeThreads.ParallelOptions, r =>
                {
                    try
                    {
                        PatchSampler.Read(opened[r], xs[r], ys[r], sourceSizes[r], size, patches.AsSpan(r * patchLength, patchLength));
                    }
                    catch (Exception e) when (SlideErrors.IsDecodeFailure(e))
                    {
                        // A slide that failed to decode is never shared again: the next reader opens the file afresh.
                        leases[refs[r]!.Path].Invalidate();
                        throw SlideErrors.Corrupt(refs[r]!.Path, e);
                    }
                });
            }
            catch (AggregateException e)
            {
                // One clear error, not the parallel loop's wrapper (which would escape a CLI's handlers).
                ExceptionDispatchInfo.Throw(SlideErrors.Unwrap(e));
            }
            return patches;
        };
    }

    /// <summary>Opens a slide through the shared cache; a file libvips or OpenSlide cannot decode is an <see cref="InvalidDataException"/> naming it.</summary>
    private static SlideLease Acquire(string path)
    {
        try
        {
            return SlideCache.Shared.Acquire(path);
        }
        catch (Exception e) when (SlideErrors.IsDecodeFailure(e))
        {
            throw SlideErrors.Corrupt(path, e);
        }
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context) => context.WriteJson("options.json", Options);

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ComponentLoadContext context) =>
        new LoadPatchesTransformer(context.ReadJson<LoadPatchesOptions>("options.json"));

    private sealed class LeaseSet(Dictionary<string, SlideLease> leases) : IDisposable
    {
        public void Dispose()
        {
            foreach (var lease in leases.Values) lease.Dispose();
            leases.Clear();
        }
    }
}
