using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Context;

/// <summary>
/// Adds each spot's neighbourhood: the embeddings of the spot and its k − 1 nearest spots of the same section (HisDiff's
/// "neighbour" context with k = 9, "global" with k = 49), as <c>[k, D]</c> with a <c>[k]</c> mask, or pooled to their
/// mean <c>[D]</c> (or the spot's own embedding and that mean, <c>[2D]</c>) for a regressor. Nothing is learned: the neighbours come from the view being transformed, read once
/// (lazily, at the first batch) so a spot's context is the same whichever rows a cursor asks for.
/// </summary>
[ModelComponent("NeighbourContext", 1)]
public sealed class NeighbourContextTransformer : ArchivableTransformer
{
    /// <summary>Creates the transformer.</summary>
    /// <param name="options">The options.</param>
    /// <param name="trainingPitchMicrons">Median nearest-spot distance of the spots it was fitted on (µm), if known.</param>
    /// <exception cref="ArgumentException">Invalid options, or a pitch that is not a positive number.</exception>
    public NeighbourContextTransformer(NeighbourContextOptions options, double? trainingPitchMicrons = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (trainingPitchMicrons is { } pitch && !(pitch > 0 && double.IsFinite(pitch)))
            throw new ArgumentException($"The training pitch must be a positive number of µm, got {pitch}.", nameof(trainingPitchMicrons));
        Options = options;
        TrainingPitchMicrons = trainingPitchMicrons;
    }

    /// <summary>The options.</summary>
    public NeighbourContextOptions Options { get; }

    /// <summary>
    /// Median distance between neighbouring spots of the data it was fitted on, in µm (pixels where µm/px was unknown);
    /// null for a model saved before it was recorded. <c>mlnetstem map</c> takes a tile's context from tiles this far apart.
    /// </summary>
    public double? TrainingPitchMicrons { get; }

    /// <inheritdoc />
    /// <exception cref="SchemaMismatchException">The embedding is not a float vector of known size, or a position column is missing.</exception>
    public override DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return inputSchema.With(OutputColumns(inputSchema).ToArray());
    }

    private List<DataViewSchema.DetachedColumn> OutputColumns(DataViewSchema schema)
    {
        var o = Options;
        var input = schema.RequireKind(o.InputColumn, "NeighbourContext", ColumnKind.FloatTensor);
        if (!input.Type.IsKnownSize || input.Type.Dimensions.Count != 1)
            throw new SchemaMismatchException(o.InputColumn, "an embedding vector of known size [D]", input.Type.ToString(), "NeighbourContext");
        foreach (string position in new[] { o.XColumn, o.YColumn })
            if (schema.Find(position) is null) throw new SchemaMismatchException(position, "a spot position column (pixels)", null, "NeighbourContext");
        int width = input.Type.Size;
        return o.Pooling switch
        {
            ContextPooling.Mean => [SchemaColumns.Create(o.OutputColumn, ColumnTypes.FloatTensor(width), input.SlotNames)],
            ContextPooling.OwnAndMean => [SchemaColumns.Create(o.OutputColumn, ColumnTypes.FloatTensor(2 * width),
                input.SlotNames is { } names ? [.. names, .. names.Select(n => "context:" + n)] : null)],
            _ => [SchemaColumns.Create(o.OutputColumn, ColumnTypes.FloatTensor(o.Neighbours, width)),
                  SchemaColumns.Create(o.MaskColumn, ColumnTypes.FloatTensor(o.Neighbours))],
        };
    }

    /// <inheritdoc />
    public override IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var produced = OutputColumns(input.Schema);
        var o = Options;
        int width = input.Schema[o.InputColumn].Type.Size;
        bool hasImage = input.Schema.Find(o.ImageColumn) is { Type: SlideDataViewType };
        bool hasSection = input.Schema.Find(o.SectionColumn) is { Type.Kind: ColumnKind.Text };
        // One read of the whole view, shared by every cursor over the output.
        var neighbourhoods = new Lazy<SpotNeighbourhoods>(() => SpotNeighbourhoods.Read(input, o, width), LazyThreadSafetyMode.ExecutionAndPublication);
        string[] dependencies = [o.InputColumn, o.XColumn, o.YColumn, .. hasImage ? [o.ImageColumn] : Array.Empty<string>(),
            .. hasSection ? [o.SectionColumn] : Array.Empty<string>()];
        return new MappedDataView(input, produced, dependencies, () => new Mapper(o, neighbourhoods, width, hasImage, hasSection));
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context)
    {
        context.WriteJson("options.json", Options);
        if (TrainingPitchMicrons is { } pitch) context.WriteJson("pitch.json", new PitchState(pitch));
    }

    /// <summary>Reads the transformer written by <see cref="Save"/> (the pitch is optional: older models lack it).</summary>
    /// <exception cref="ModelFormatException">An entry is malformed.</exception>
    public static ITransformer Load(ComponentLoadContext context)
    {
        var options = context.ReadJson<NeighbourContextOptions>("options.json");
        double? pitch = context.Has("pitch.json") ? context.ReadJson<PitchState>("pitch.json").TrainingPitchMicrons : null;
        try
        {
            return new NeighbourContextTransformer(options, pitch);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"NeighbourContext: {e.Message}", e);
        }
    }

    private sealed record PitchState(double TrainingPitchMicrons);

    private sealed class Mapper(NeighbourContextOptions o, Lazy<SpotNeighbourhoods> neighbourhoods, int width, bool hasImage, bool hasSection) : IBatchMapper
    {
        public IReadOnlyDictionary<string, Array> Map(DataBatch input, IReadOnlyCollection<string> produce)
        {
            var index = neighbourhoods.Value;
            int rows = input.RowCount, k = o.Neighbours;
            var x = input.GetNumbersAsDoubles(o.XColumn);
            var y = input.GetNumbersAsDoubles(o.YColumn);
            var sections = SpotNeighbourhoods.SectionKeys(input, o, hasImage, hasSection).ToArray();
            var mpp = hasImage ? input.GetImages(o.ImageColumn).Select(s => s.MicronsPerPixel ?? 1).ToArray() : null;
            var context = new float[rows * k * width];
            var mask = new float[rows * k];
            for (int r = 0; r < rows; r++)
            {
                double maxPixels = o.MaxDistanceMicrons is { } um ? um / (mpp?[r] ?? 1) : double.PositiveInfinity;
                index.Nearest(sections[r], x[r], y[r], k, maxPixels, context.AsSpan(r * k * width, k * width), mask.AsSpan(r * k, k));
            }
            if (o.Pooling == ContextPooling.None) return new Dictionary<string, Array> { [o.OutputColumn] = context, [o.MaskColumn] = mask };
            var mean = new float[rows * width];
            for (int r = 0; r < rows; r++)
            {
                float n = 0;
                for (int j = 0; j < k; j++)
                {
                    if (mask[r * k + j] == 0) continue;
                    n++;
                    var row = context.AsSpan((r * k + j) * width, width);
                    for (int d = 0; d < width; d++) mean[r * width + d] += row[d];
                }
                if (n > 0) for (int d = 0; d < width; d++) mean[r * width + d] /= n;
            }
            if (o.Pooling == ContextPooling.Mean) return new Dictionary<string, Array> { [o.OutputColumn] = mean };
            var own = input.GetFloats(o.InputColumn);
            var both = new float[rows * 2 * width];
            for (int r = 0; r < rows; r++)
            {
                own.AsSpan(r * width, width).CopyTo(both.AsSpan(2 * r * width, width));
                mean.AsSpan(r * width, width).CopyTo(both.AsSpan((2 * r + 1) * width, width));
            }
            return new Dictionary<string, Array> { [o.OutputColumn] = both };
        }

        public void Dispose() { }
    }
}
