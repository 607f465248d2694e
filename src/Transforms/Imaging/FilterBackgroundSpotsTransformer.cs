using System.Collections.Concurrent;
using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>
/// Keeps the spots whose patch (<see cref="FilterBackgroundSpotsOptions.SizeMicrons"/> wide) is at
/// least <see cref="FilterBackgroundSpotsOptions.MinTissueFraction"/> tissue. Each slide's
/// <see cref="TissueMask"/> is computed once per transformed view, from a low-resolution level,
/// on first use; the schema is unchanged.
/// </summary>
[ModelComponent("FilterBackgroundSpots", 1)]
public sealed class FilterBackgroundSpotsTransformer : ArchivableTransformer
{
    /// <summary>Creates the transformer.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public FilterBackgroundSpotsTransformer(FilterBackgroundSpotsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    /// <summary>The options in force.</summary>
    public FilterBackgroundSpotsOptions Options { get; }

    /// <inheritdoc />
    public override DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        const string who = "FilterBackgroundSpots";
        inputSchema.RequireKind(Options.ImageColumn, who, ColumnKind.Image);
        inputSchema.RequireKind(Options.XColumn, who, ColumnKind.Float64, ColumnKind.Float32, ColumnKind.Int32);
        inputSchema.RequireKind(Options.YColumn, who, ColumnKind.Float64, ColumnKind.Float32, ColumnKind.Int32);
        return inputSchema;
    }

    /// <inheritdoc />
    /// <remarks>Reading the result throws <see cref="InvalidDataException"/> when a slide's pixel size is unknown, when it is
    /// truncated or corrupt (naming the file and libvips' or OpenSlide's reason) or larger than
    /// <see cref="SlideLimits.MaxDecodedMegapixels"/>, <see cref="FileNotFoundException"/> when it does not exist.</remarks>
    public override IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(input.Schema);
        var masks = new ConcurrentDictionary<string, Lazy<(TissueMask Mask, double? MicronsPerPixel)>>(StringComparer.Ordinal);
        return new FilteredDataView(input, [Options.ImageColumn, Options.XColumn, Options.YColumn], batch =>
        {
            var refs = batch.GetImages(Options.ImageColumn);
            var xs = batch.GetNumbersAsDoubles(Options.XColumn);
            var ys = batch.GetNumbersAsDoubles(Options.YColumn);
            var keep = new bool[batch.RowCount];
            for (int r = 0; r < batch.RowCount; r++)
            {
                var reference = refs[r] ?? throw new InvalidDataException($"FilterBackgroundSpots: row {r} of the batch has no image.");
                var (mask, fileMpp) = masks.GetOrAdd(reference.Path, path => new(() => ComputeMask(path))).Value;
                double mpp = Options.MicronsPerPixel ?? reference.MicronsPerPixel ?? fileMpp ?? throw new InvalidDataException(
                    $"FilterBackgroundSpots: image '{reference.Path}' has no microns-per-pixel (neither the data nor the file records one) " +
                    "and none was given; judging a patch of a physical size needs one (set MicronsPerPixel).");
                keep[r] = double.IsFinite(xs[r]) && double.IsFinite(ys[r]) &&
                          mask.TissueFraction(xs[r], ys[r], Options.SizeMicrons / mpp) >= Options.MinTissueFraction;
            }
            return keep;
        });
    }

    private (TissueMask, double?) ComputeMask(string path)
    {
        // Through the shared cache: LoadPatches after this filter reads the same, already decoded image.
        SlideLease lease;
        try
        {
            lease = SlideCache.Shared.Acquire(path);
        }
        catch (Exception e) when (SlideErrors.IsDecodeFailure(e))
        {
            throw SlideErrors.Corrupt(path, e);
        }
        using (lease)
        {
            var slide = lease.Slide;
            try
            {
                return (TissueMask.Compute(slide, saturationThreshold: Options.SaturationThreshold), slide.MicronsPerPixel);
            }
            catch (Exception e) when (SlideErrors.IsDecodeFailure(e))
            {
                // A slide that failed to decode is never shared again: the next reader opens the file afresh.
                lease.Invalidate();
                throw SlideErrors.Corrupt(path, e);
            }
        }
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context) => context.WriteJson("options.json", Options);

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ComponentLoadContext context) =>
        new FilterBackgroundSpotsTransformer(context.ReadJson<FilterBackgroundSpotsOptions>("options.json"));
}
