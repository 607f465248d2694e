using System.Text.Json.Serialization;
using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Onnx;
using MlNetStem.Onnx.Writer;
using MlNetStem.Pipeline;
using MlNetStem.Torch;

namespace MlNetStem.Trainers.Mlp;

/// <summary>
/// A fitted MLP from features to expression. Prediction standardizes the features, runs the
/// (EMA-averaged) network with libtorch without gradients, batch by batch, and maps the
/// outputs back to label units. <see cref="ExportOnnx()"/> writes the same computation as an
/// ONNX graph. Owns native memory: dispose it when done (the finalizer is only a backstop).
/// </summary>
[ModelComponent("MlpRegression", 1)]
public sealed class MlpTransformer : ColumnMapperTransformer, IOnnxExportableTransformer, IDisposable
{
    /// <summary>Name of the exported ONNX model's input, float [N, <see cref="FeatureCount"/>].</summary>
    public const string OnnxInputName = "features";

    /// <summary>Name of the exported ONNX model's output, float [N, <see cref="OutputCount"/>].</summary>
    public const string OnnxOutputName = "expression";

    private readonly string[]? _genes;
    private readonly Standardization _featureScaling;
    private readonly Standardization _labelScaling;
    private readonly MlpNetwork _network;

    internal MlpTransformer(MlpOptions options, int featureCount, int outputCount, string[]? genes,
        Standardization featureScaling, Standardization labelScaling, MlpNetwork network, MlpTrainingSummary summary)
        : base(options.OutputColumn, options.FeatureColumn)
    {
        if (genes is not null && genes.Length != outputCount)
            throw new ArgumentException($"{genes.Length} gene names for {outputCount} outputs.");
        if (featureScaling.Width != featureCount || labelScaling.Width != outputCount)
            throw new ArgumentException($"Standardization widths {featureScaling.Width}/{labelScaling.Width} do not match {featureCount} features/{outputCount} outputs.");
        Options = options;
        FeatureCount = featureCount;
        OutputCount = outputCount;
        _genes = genes;
        _featureScaling = featureScaling;
        _labelScaling = labelScaling;
        _network = network;
        Summary = summary;
    }

    /// <summary>The options the model was trained with (the seed filled in).</summary>
    public MlpOptions Options { get; }

    /// <summary>Width of the feature vector the model expects.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of predicted genes.</summary>
    public int OutputCount { get; }

    /// <summary>Predicted gene names, if known.</summary>
    public IReadOnlyList<string>? Genes => _genes;

    /// <summary>Epochs run and final losses.</summary>
    public MlpTrainingSummary Summary { get; }

    /// <summary>Number of trainable scalars of the network.</summary>
    public long ParameterCount => _network.ParameterCount;

    /// <inheritdoc />
    protected override string ComponentName => "MlpRegression";

    /// <inheritdoc />
    protected override DataViewSchema.DetachedColumn GetOutputColumn(DataViewSchema inputSchema, DataViewSchema.Column input)
    {
        var expected = ColumnTypes.FloatTensor(FeatureCount);
        if (!input.Type.Equals(expected))
            throw new SchemaMismatchException(InputColumn, expected.ToString(), input.Type.ToString(), ComponentName);
        return SchemaColumns.Create(OutputColumn, ColumnTypes.FloatTensor(OutputCount), _genes);
    }

    /// <inheritdoc />
    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, DataViewSchema.DetachedColumn output, List<IDisposable> resources) =>
        batch => Predict(batch.GetFloats(InputColumn), batch.RowCount);

    private float[] Predict(float[] features, int rows)
    {
        int d = FeatureCount;
        if (features.Length != rows * d)
            throw new InvalidDataException($"MlpRegression: a batch of {rows} rows holds {features.Length} feature values, expected {rows * d}.");
        if (rows == 0) return [];
        for (int i = 0; i < features.Length; i++)
            if (!float.IsFinite(features[i])) throw new InvalidDataException($"MlpRegression: feature {i % d} of a row is {features[i]}.");
        var z = features.ToArray();
        _featureScaling.Apply(z);
        float[] result;
        using (Tensor.NewScope())
        using (new NoGradScope())
            result = _network.Forward(Tensor.FromArray(z, [rows, d])).ToFloatArray();
        _labelScaling.Invert(result);
        return result;
    }

    /// <summary>
    /// The model as ONNX (opset 17): input <see cref="OnnxInputName"/> float [N, D], Sub/Div
    /// standardization, MatMul/Add layers with Sigmoid·x (SiLU) or Erf (GELU) activations, then
    /// Mul/Add back to label units, output <see cref="OnnxOutputName"/> float [N, K]. Gene names are
    /// in the metadata entry "genes" (one per line).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public byte[] ExportOnnx() => BuildOnnx().ToBytes();

    /// <summary>Saves into an ML.NET model as a stock <c>OnnxTransformer</c> over <see cref="ExportOnnx()"/> (features column →
    /// output column), which <c>MLContext.Model.Load</c> returns.</summary>
    protected override void SaveAsStock(ModelSaveContext ctx) => OnnxStockSaver.Save(ctx, ExportOnnx(),
        (OnnxInputName, SchemaColumns.Create(InputColumn, ColumnTypes.FloatTensor(FeatureCount))), [(OnnxOutputName, OutputColumn)]);

    /// <summary>Writes <see cref="ExportOnnx()"/> to <paramref name="path"/> atomically.</summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public void ExportOnnx(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        BuildOnnx().Save(path);
    }

    private OnnxGraphBuilder BuildOnnx()
    {
        var g = new OnnxGraphBuilder("mlp_regression")
        {
            DocString = $"MlNetStem MLP regression: {FeatureCount} features → {OutputCount} genes.",
        };
        g.AddMetadata("mlnetstem.component", "MlpRegression");
        if (_genes is not null) g.AddMetadata("genes", string.Join('\n', _genes));
        string x = g.AddInput(OnnxInputName, OnnxElementType.Float, "N", FeatureCount);
        x = g.AddNode("Sub", [x, g.AddInitializer("feature_mean", _featureScaling.Mean, FeatureCount)]);
        x = g.AddNode("Div", [x, g.AddInitializer("feature_std", _featureScaling.Std, FeatureCount)]);
        var layers = _network.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            int inputs = (int)layers[i].InFeatures, outputs = (int)layers[i].OutFeatures;
            var weight = layers[i].Weight.ToFloatArray();     // [out, in]
            var transposed = new float[weight.Length];          // [in, out] for MatMul
            for (int o = 0; o < outputs; o++)
                for (int j = 0; j < inputs; j++) transposed[j * outputs + o] = weight[o * inputs + j];
            x = g.Linear(x, transposed, inputs, outputs, layers[i].Bias?.ToFloatArray(), $"layers.{i}");
            if (i < layers.Count - 1)
                x = _network.Activation == MlpActivation.Gelu ? g.Gelu(x) : g.AddNode("Mul", [x, g.AddNode("Sigmoid", [x])]);
        }
        x = g.AddNode("Mul", [x, g.AddInitializer("label_std", _labelScaling.Std, OutputCount)]);
        g.AddNode("Add", "", [x, g.AddInitializer("label_mean", _labelScaling.Mean, OutputCount)], [OnnxOutputName]);
        g.AddOutput(OnnxOutputName, OnnxElementType.Float, "N", OutputCount);
        return g;
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.WriteJson("mlp.json", new State(Options, FeatureCount, OutputCount, _genes, Summary));
        context.WriteFloats("feature_mean.f32", _featureScaling.Mean);
        context.WriteFloats("feature_std.f32", _featureScaling.Std);
        context.WriteFloats("label_mean.f32", _labelScaling.Mean);
        context.WriteFloats("label_std.f32", _labelScaling.Std);
        using var stream = context.OpenWrite("network.state");
        _network.SaveStateDict(stream);
    }

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    /// <exception cref="ModelFormatException">An entry is missing, malformed, or does not match the recorded architecture.</exception>
    public static ITransformer Load(ComponentLoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var s = context.ReadJson<State>("mlp.json");
        var hidden = s.Options.EffectiveHiddenSizes.ToArray();
        if (s.FeatureCount < 1 || s.OutputCount < 1 || hidden.Any(h => h < 1) || (s.Genes is not null && s.Genes.Length != s.OutputCount))
            throw new ModelFormatException(
                $"MlpRegression entry describes an impossible network: {s.FeatureCount} features, hidden [{string.Join(", ", hidden)}], {s.OutputCount} outputs.");
        float[] Read(string entry, int count) => ModelLoadChecks.Finite(context.ReadFloats(entry, count), "MlpRegression", entry);
        var features = new Standardization(Read("feature_mean.f32", s.FeatureCount), Read("feature_std.f32", s.FeatureCount));
        var labels = new Standardization(Read("label_mean.f32", s.OutputCount), Read("label_std.f32", s.OutputCount));
        if (features.Std.Concat(labels.Std).Any(v => v <= 0))
            throw new ModelFormatException("MlpRegression: the standardization entries hold a non-positive standard deviation; the archive is corrupt.");
        using var generator = new Generator(0);   // initial values are overwritten by the state dict
        var network = new MlpNetwork(s.FeatureCount, hidden, s.OutputCount, s.Options.Activation, generator);
        try
        {
            using (var stream = context.OpenRead("network.state", ModelLoadChecks.StateDictLimit(network)))
                network.LoadStateDict(stream);
            ModelLoadChecks.Finite(network, "MlpRegression", "network.state");
            network.Eval();
            return new MlpTransformer(s.Options, s.FeatureCount, s.OutputCount, s.Genes, features, labels, network, s.Summary);
        }
        catch (InvalidDataException e)
        {
            network.Dispose();
            throw new ModelFormatException($"MlpRegression network weights do not match the recorded architecture: {e.Message}", e);
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
    private sealed record State(MlpOptions Options, int FeatureCount, int OutputCount, string[]? Genes, MlpTrainingSummary Summary);
}
