using System.Text.Json.Serialization;
using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;
using MlNetStem.Torch;

namespace MlNetStem.Trainers.StAnd;

/// <summary>
/// A fitted ST-AnD model. From each spot's nucleus crops and mask it writes the spot prediction (<see cref="StAndOptions.OutputColumn"/>,
/// [G], log2(x + 1) units like the labels) and each nucleus' prediction on the same scale (<see cref="StAndOptions.NucleusOutputColumn"/>,
/// <c>[MaxNuclei, G]</c>, 0 for padding rows): log2(1 + cᵢ), cᵢ the counts one such nucleus contributes to a spot of nuclei like it.
/// <see cref="PredictNuclei"/> scores loose crops (e.g. every nucleus of a whole tissue). Spots without a nucleus get 0. Owns native
/// memory: dispose it when done.
/// </summary>
[ModelComponent("StAnd", 1)]
public sealed class StAndTransformer : ArchivableTransformer, IDisposable
{
    /// <summary>Nuclei encoded together at prediction.</summary>
    private const int EncodeChunk = 256;

    private readonly string[]? _genes;
    private readonly StAndNetwork _network;
    private readonly int[] _identity;

    internal StAndTransformer(StAndOptions options, int cropSize, int geneCount, string[]? genes, StAndNetwork network, StAndTrainingSummary summary)
    {
        if (genes is not null && genes.Length != geneCount) throw new ArgumentException($"{genes.Length} gene names for {geneCount} outputs.");
        Options = options;
        CropSize = cropSize;
        GeneCount = geneCount;
        _genes = genes;
        _network = network;
        _identity = Dihedral.Permutations(cropSize)[0];
        Summary = summary;
    }

    /// <summary>The options the model was trained with (the seed filled in).</summary>
    public StAndOptions Options { get; }

    /// <summary>Side of the nucleus crops in pixels.</summary>
    public int CropSize { get; }

    /// <summary>Number of predicted genes.</summary>
    public int GeneCount { get; }

    /// <summary>Input of <see cref="ExportNucleusOnnx()"/>: nucleus crops, float [N, 3, <see cref="CropSize"/>, <see cref="CropSize"/>] CHW in [-0.5, 0.5].</summary>
    public const string OnnxInputName = "crops";

    /// <summary>Output of <see cref="ExportNucleusOnnx()"/>: per-nucleus expression on the spot scale, float [N, <see cref="GeneCount"/>].</summary>
    public const string OnnxOutputName = "nucleus_expression";

    /// <summary>
    /// The per-nucleus model as ONNX (opset 17): <see cref="OnnxInputName"/> → <see cref="OnnxOutputName"/>, the same values as
    /// <see cref="PredictNuclei"/> (encoder, codebook lookup, genomic decoder, the pooling's single-nucleus transfer and the
    /// spot-scale output). Gene names are in the metadata ("genes", one per line). The spot-level pooling is not part of it:
    /// a spot's prediction needs its set of nuclei.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public byte[] ExportNucleusOnnx() => BuildNucleusOnnx().ToBytes();

    /// <summary>Writes <see cref="ExportNucleusOnnx()"/> to <paramref name="path"/> atomically.</summary>
    /// <exception cref="IOException">The file could not be written.</exception>
    public void ExportNucleusOnnx(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        BuildNucleusOnnx().Save(path);
    }

    private Onnx.Writer.OnnxGraphBuilder BuildNucleusOnnx()
    {
        var graph = new Onnx.Writer.OnnxGraphBuilder("stand_nucleus")
        {
            DocString = $"MlNetStem ST-AnD per-nucleus model: crops [N, 3, {CropSize}, {CropSize}] → log2(1 + counts) [N, {GeneCount}] on the spot scale.",
        };
        graph.AddMetadata("mlnetstem.component", "StAnd.Nucleus");
        if (_genes is not null) graph.AddMetadata("genes", string.Join('\n', _genes));
        string crops = graph.AddInput(OnnxInputName, Onnx.OnnxElementType.Float, "N", 3, CropSize, CropSize);
        string output = _network.EmitOnnx(new Diffusion.Export.OnnxGraphOps(graph), crops);
        graph.AddNode("Identity", "", [output], [OnnxOutputName]);
        graph.AddOutput(OnnxOutputName, Onnx.OnnxElementType.Float, "N", GeneCount);
        return graph;
    }

    /// <summary>Predicted gene names, if known.</summary>
    public IReadOnlyList<string>? Genes => _genes;

    /// <summary>What training did.</summary>
    public StAndTrainingSummary Summary { get; }

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount => _network.ParameterCount;

    /// <summary>Checks the crop column (<c>[K, 3, S, S]</c>, S a multiple of 4) and its mask (<c>[K]</c>).</summary>
    /// <returns>K and S.</returns>
    /// <exception cref="SchemaMismatchException">A column is missing or of the wrong shape.</exception>
    internal static (int MaxNuclei, int CropSize) CheckInputs(DataViewSchema schema, string cropColumn, string maskColumn, string who)
    {
        var crops = schema.Find(cropColumn) ?? throw new SchemaMismatchException(cropColumn, "nucleus crops [MaxNuclei, 3, S, S]", null, who);
        var dims = ColumnTypes.DimensionsOf(crops.Type);
        if (ColumnTypes.KindOf(crops.Type) != ColumnKind.FloatTensor || dims.Count != 4 || dims[1] != 3 || dims[2] != dims[3] || dims[2] < 4 || dims[2] % 4 != 0)
            throw new SchemaMismatchException(cropColumn, "nucleus crops [MaxNuclei, 3, S, S] with S a multiple of 4 (ml.Transforms.LoadNucleusCrops)",
                ColumnTypes.Describe(crops.Type), who);
        var mask = schema.Find(maskColumn) ?? throw new SchemaMismatchException(maskColumn, $"a [{dims[0]}] nucleus mask", null, who);
        if (!mask.Type.Equals(ColumnTypes.FloatTensor(dims[0])))
            throw new SchemaMismatchException(maskColumn, $"a [{dims[0]}] float nucleus mask matching '{cropColumn}'", ColumnTypes.Describe(mask.Type), who);
        return (dims[0], dims[2]);
    }

    /// <inheritdoc />
    public override DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return inputSchema.With(OutputColumns(inputSchema).ToArray());
    }

    private IEnumerable<DataViewSchema.DetachedColumn> OutputColumns(DataViewSchema inputSchema)
    {
        var (maxNuclei, cropSize) = CheckInputs(inputSchema, Options.CropColumn, Options.MaskColumn, "StAnd");
        if (cropSize != CropSize)
            throw new SchemaMismatchException(Options.CropColumn, $"crops of {CropSize} px (as trained)", $"crops of {cropSize} px", "StAnd");
        return
        [
            SchemaColumns.Create(Options.OutputColumn, ColumnTypes.FloatTensor(GeneCount), _genes),
            SchemaColumns.Create(Options.NucleusOutputColumn, ColumnTypes.FloatTensor(maxNuclei, GeneCount)),
        ];
    }

    /// <inheritdoc />
    public override IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var columns = OutputColumns(input.Schema).ToArray();
        int maxNuclei = ColumnTypes.SizeOf(columns[1].Type) / GeneCount;
        return new MappedDataView(input, columns, [Options.CropColumn, Options.MaskColumn], () => new Mapper(this, maxNuclei), cursorBatchSize: 16);
    }

    /// <summary>
    /// Per-nucleus predictions (log2(1 + cᵢ), see the class summary) of <paramref name="count"/> crops, each
    /// <c>[3, CropSize, CropSize]</c> CHW in [-0.5, 0.5] (<c>MlNetStem.Imaging.NucleusCrops</c>): <c>[count, GeneCount]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The crops do not hold <paramref name="count"/> crops of the trained size.</exception>
    /// <exception cref="InvalidDataException">A crop value is NaN or infinite.</exception>
    public float[] PredictNuclei(ReadOnlySpan<float> crops, int count)
    {
        int length = 3 * CropSize * CropSize;
        if (count < 0 || crops.Length != (long)count * length)
            throw new ArgumentException($"StAnd: {crops.Length} crop values do not form {count} crops of 3×{CropSize}×{CropSize}.");
        return Encode(crops, count).Nucleus;
    }

    /// <summary>The genomic decoder's values (for pooling) and the per-nucleus predictions of CHW crops, both <c>[count, G]</c>.</summary>
    private (float[] Values, float[] Nucleus) Encode(ReadOnlySpan<float> crops, int count)
    {
        int length = 3 * CropSize * CropSize, g = GeneCount;
        var values = new float[count * g];
        var nucleus = new float[count * g];
        var buffer = new float[Math.Min(count, EncodeChunk) * length];
        for (int start = 0; start < count; start += EncodeChunk)
        {
            int m = Math.Min(EncodeChunk, count - start);
            for (int i = 0; i < m; i++)
            {
                var crop = crops.Slice((start + i) * length, length);
                foreach (float v in crop)
                    if (!float.IsFinite(v)) throw new InvalidDataException($"StAnd: a value of nucleus crop {start + i} is {v}.");
                Dihedral.ToChannelsLast(crop, _identity, buffer.AsSpan(i * length, length));
            }
            using var scope = Tensor.NewScope();
            using var noGrad = new NoGradScope();
            var x = Tensor.FromArray(m == buffer.Length / length ? buffer : buffer[..(m * length)], [m, CropSize * CropSize, 3]);
            var p = _network.NucleusValues(_network.Encode(x).Features);
            p.ToFloatArray().CopyTo(values, start * g);
            _network.NucleusOutput(p).ToFloatArray().CopyTo(nucleus, start * g);
        }
        return (values, nucleus);
    }

    /// <summary>Spot and per-nucleus predictions of <paramref name="rows"/> spots of <paramref name="maxNuclei"/> crop slots each.</summary>
    private (float[] Spot, float[] Nucleus) Predict(float[] crops, float[] mask, int rows, int maxNuclei)
    {
        int length = 3 * CropSize * CropSize, g = GeneCount;
        var valid = new List<int>();
        var counts = new int[rows];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < maxNuclei; k++)
                if (mask[r * maxNuclei + k] != 0)
                {
                    valid.Add(r * maxNuclei + k);
                    counts[r]++;
                }
        var compact = new float[valid.Count * length];
        for (int i = 0; i < valid.Count; i++) crops.AsSpan(valid[i] * length, length).CopyTo(compact.AsSpan(i * length, length));
        var (values, perNucleus) = Encode(compact, valid.Count);
        var nucleus = new float[rows * maxNuclei * g];
        for (int i = 0; i < valid.Count; i++) perNucleus.AsSpan(i * g, g).CopyTo(nucleus.AsSpan(valid[i] * g, g));
        float[] spot;
        using (Tensor.NewScope())
        using (new NoGradScope())
        {
            var (padded, paddedMask, count) = Pad(Tensor.FromArray(values, [valid.Count, g]), counts, g);
            spot = _network.SpotOutput(_network.Pool(padded, paddedMask, count), count).ToFloatArray();
        }
        return (spot, nucleus);
    }

    /// <summary>
    /// Lays out per-nucleus values <c>[M, G]</c> (spots' nuclei consecutive, <paramref name="counts"/> per spot) as
    /// <c>[B, K, G]</c> with K the largest count, plus the mask <c>[B, K, 1]</c> and the counts <c>[B, 1]</c>. Differentiable.
    /// </summary>
    internal static (Tensor Values, Tensor Mask, Tensor Count) Pad(Tensor values, int[] counts, int genes)
    {
        int b = counts.Length, k = Math.Max(1, counts.Max()), m = counts.Sum();
        var index = new long[b * k];
        var mask = new float[b * k];
        int offset = 0;
        for (int s = 0; s < b; s++)
        {
            for (int j = 0; j < k; j++)
            {
                bool real = j < counts[s];
                index[s * k + j] = real ? offset + j : m;
                mask[s * k + j] = real ? 1 : 0;
            }
            offset += counts[s];
        }
        var withZero = Tensor.Cat([values, Tensor.Zeros([1, genes])], 0);
        var padded = withZero.IndexSelect(0, Tensor.FromArray(index, [index.Length])).Reshape(b, k, genes);
        return (padded, Tensor.FromArray(mask, [b, k, 1]), Tensor.FromArray(counts.Select(c => (float)c).ToArray(), [b, 1]));
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.WriteJson("stand.json", new State(Options, CropSize, GeneCount, _genes, Summary));
        using var stream = context.OpenWrite("network.state");
        _network.SaveStateDict(stream);
    }

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    /// <exception cref="ModelFormatException">An entry is missing, malformed, or does not match the recorded architecture.</exception>
    public static ITransformer Load(ComponentLoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var s = context.ReadJson<State>("stand.json");
        if (s.Options is null || s.CropSize < 4 || s.CropSize % 4 != 0 || s.CropSize > 256 || s.GeneCount < 1 || (s.Genes is not null && s.Genes.Length != s.GeneCount))
            throw new ModelFormatException($"StAnd entry describes an impossible model: crops of {s.CropSize} px, {s.GeneCount} genes.");
        try
        {
            s.Options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"StAnd entry holds invalid options: {e.Message}", e);
        }
        using var generator = new Generator(0);   // initial values are overwritten by the state dict
        var network = new StAndNetwork(s.CropSize, s.GeneCount, s.Options, generator);
        try
        {
            using (var stream = context.OpenRead("network.state", ModelLoadChecks.StateDictLimit(network)))
                network.LoadStateDict(stream);
            ModelLoadChecks.Finite(network, "StAnd", "network.state");
            network.Eval();
            return new StAndTransformer(s.Options, s.CropSize, s.GeneCount, s.Genes, network, s.Summary);
        }
        catch (InvalidDataException e)
        {
            network.Dispose();
            throw new ModelFormatException($"StAnd network weights do not match the recorded architecture: {e.Message}", e);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Releases the network's native tensors.</summary>
    public void Dispose() => _network.Dispose();

    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    private sealed record State(StAndOptions Options, int CropSize, int GeneCount, string[]? Genes, StAndTrainingSummary Summary);

    private sealed class Mapper(StAndTransformer owner, int maxNuclei) : IBatchMapper
    {
        public IReadOnlyDictionary<string, Array> Map(DataBatch input, IReadOnlyCollection<string> produce)
        {
            var (spot, nucleus) = owner.Predict(input.GetFloats(owner.Options.CropColumn), input.GetFloats(owner.Options.MaskColumn), input.RowCount, maxNuclei);
            return new Dictionary<string, Array> { [owner.Options.OutputColumn] = spot, [owner.Options.NucleusOutputColumn] = nucleus };
        }

        public void Dispose()
        {
        }
    }
}
