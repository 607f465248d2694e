using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Imaging;

/// <summary>
/// Adds each spot's nuclei, found by <see cref="NucleusDetector"/> inside the spot's disk: the count
/// (<see cref="DetectNucleiOptions.CountColumn"/>), and a fixed-size table <c>[MaxNuclei, F]</c>
/// (<see cref="DetectNucleiOptions.OutputColumn"/>, features in the order of <see cref="FeatureNames"/>) with its mask
/// <c>[MaxNuclei]</c>, so a model can pool over a spot's nuclei without variable-length columns. Slides come from
/// <see cref="SlideCache.Shared"/>, spots of a batch are detected in parallel, and only the current batch's tables are in
/// memory. A truncated or corrupt image throws one <see cref="InvalidDataException"/> naming the file; a spot centre
/// off the image gives a spot with no nuclei.
/// </summary>
[ModelComponent("DetectNuclei", 1)]
public sealed class DetectNucleiTransformer : ArchivableTransformer
{
    /// <summary>The features of a nucleus row, in order: centroid x and y in level-0 pixels, area in µm², equivalent
    /// diameter in µm, mean haematoxylin optical density.</summary>
    public static IReadOnlyList<string> FeatureNames { get; } = ["x", "y", "area_um2", "diameter_um", "mean_haematoxylin"];

    /// <summary>Features per nucleus (<see cref="FeatureNames"/>).</summary>
    public static int FeatureCount => FeatureNames.Count;

    private readonly NucleusDetector _detector;

    /// <summary>Creates the transformer.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public DetectNucleiTransformer(DetectNucleiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _detector = new NucleusDetector(options.Detection);
    }

    /// <summary>The options in force.</summary>
    public DetectNucleiOptions Options { get; }

    /// <summary>The columns this transform adds, for <paramref name="options"/>.</summary>
    internal static IEnumerable<DataViewSchema.DetachedColumn> OutputColumns(DetectNucleiOptions options) =>
    [
        SchemaColumns.Create(options.OutputColumn, ColumnTypes.FloatTensor(options.MaxNuclei, FeatureCount)),
        SchemaColumns.Create(options.MaskColumn, ColumnTypes.FloatTensor(options.MaxNuclei)),
        SchemaColumns.Create(options.CountColumn, ColumnTypes.Float32),
    ];

    /// <inheritdoc />
    public override DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        const string who = "DetectNuclei";
        inputSchema.RequireKind(Options.ImageColumn, who, ColumnKind.Image);
        inputSchema.RequireKind(Options.XColumn, who, ColumnKind.Float64, ColumnKind.Float32, ColumnKind.Int32);
        inputSchema.RequireKind(Options.YColumn, who, ColumnKind.Float64, ColumnKind.Float32, ColumnKind.Int32);
        return inputSchema.With(OutputColumns(Options).ToArray());
    }

    /// <inheritdoc />
    /// <remarks>Reading the result throws <see cref="InvalidDataException"/> when a slide's pixel size is unknown or the slide
    /// is truncated or corrupt, <see cref="FileNotFoundException"/> when it does not exist.</remarks>
    public override IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(input.Schema);
        // Detection costs far more than a row's other columns: small cursor batches keep the first row quick.
        return new MappedDataView(input, OutputColumns(Options).ToArray(), [Options.ImageColumn, Options.XColumn, Options.YColumn],
            () => new Mapper(this), cursorBatchSize: 16);
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context) => context.WriteJson("options.json", Options);

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ComponentLoadContext context) =>
        new DetectNucleiTransformer(context.ReadJson<DetectNucleiOptions>("options.json"));

    private sealed class Mapper(DetectNucleiTransformer owner) : IBatchMapper
    {
        private readonly SlideLeases _leases = new("DetectNuclei");

        public IReadOnlyDictionary<string, Array> Map(DataBatch batch, IReadOnlyCollection<string> produce)
        {
            var o = owner.Options;
            var refs = batch.GetImages(o.ImageColumn);
            var xs = batch.GetNumbersAsDoubles(o.XColumn);
            var ys = batch.GetNumbersAsDoubles(o.YColumn);
            int rows = batch.RowCount, m = o.MaxNuclei, f = FeatureCount;
            var slides = new ISlide[rows];
            var mpps = new double[rows];
            for (int r = 0; r < rows; r++)
            {
                slides[r] = _leases.Slide(refs[r], r);
                mpps[r] = _leases.MicronsPerPixel(refs[r]!, slides[r], o.MicronsPerPixel, "nuclei sizes and the spot's disk need one");
            }
            var table = new float[rows * m * f];
            var mask = new float[rows * m];
            var count = new float[rows];
            _leases.ReadParallel(rows, r => refs[r]!.Path, r =>
            {
                var full = slides[r].Levels[0];
                double diameter = o.SpotDiameterMicrons / mpps[r], radius = diameter / 2;
                if (!double.IsFinite(xs[r]) || !double.IsFinite(ys[r]) || xs[r] + radius < 0 || ys[r] + radius < 0
                    || xs[r] - radius >= full.Width || ys[r] - radius >= full.Height)
                    return;   // off the image: no nuclei
                var nuclei = owner._detector.DetectInSpot(slides[r], mpps[r], xs[r], ys[r], diameter);
                count[r] = nuclei.Count;
                double cx = xs[r], cy = ys[r];
                var nearest = nuclei.OrderBy(n => (n.X - cx) * (n.X - cx) + (n.Y - cy) * (n.Y - cy)).ThenBy(n => n.Y).ThenBy(n => n.X).Take(m).ToArray();
                for (int k = 0; k < nearest.Length; k++)
                {
                    var n = nearest[k];
                    var row = table.AsSpan((r * m + k) * f, f);
                    row[0] = (float)n.X;
                    row[1] = (float)n.Y;
                    row[2] = (float)n.AreaMicrons2;
                    row[3] = (float)n.DiameterMicrons;
                    row[4] = (float)n.MeanHaematoxylin;
                    mask[r * m + k] = 1;
                }
            });
            return new Dictionary<string, Array> { [o.OutputColumn] = table, [o.MaskColumn] = mask, [o.CountColumn] = count };
        }

        public void Dispose() => _leases.Dispose();
    }
}
