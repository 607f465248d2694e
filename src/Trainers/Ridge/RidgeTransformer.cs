using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Onnx;
using MlNetStem.Onnx.Writer;
using MlNetStem.Pipeline;

namespace MlNetStem.Trainers.Ridge;

/// <summary>
/// A fitted linear map from features to expression: <c>score = (features − c) · W + b</c>, with c the training features'
/// means (format 2; format-1 archives fold c into b and load with c = 0).
/// </summary>
[ModelComponent("RidgeRegression", 2, OldestReadableVersion = 1)]
public sealed class RidgeTransformer : ColumnMapperTransformer, IOnnxExportableTransformer
{
    private readonly float[] _weights;
    private readonly float[] _bias;
    private readonly string[]? _genes;
    private readonly float[]? _center;

    /// <summary>Creates the transformer from learned weights (row-major features × outputs) and, optionally, the feature
    /// means <paramref name="center"/> subtracted first.</summary>
    /// <exception cref="ArgumentException">Array sizes do not agree.</exception>
    public RidgeTransformer(string outputColumn, string featureColumn, int featureCount, float[] weights, float[] bias, string[]? genes, double alpha,
        float[]? center = null)
        : base(outputColumn, featureColumn)
    {
        if (center is not null && center.Length != featureCount)
            throw new ArgumentException($"{center.Length} feature means for {featureCount} features.");
        _center = center;
        if (featureCount <= 0 || bias.Length == 0 || weights.Length != featureCount * bias.Length)
            throw new ArgumentException($"Ridge weights ({weights.Length}) do not match {featureCount} features × {bias.Length} outputs.");
        if (genes is not null && genes.Length != bias.Length)
            throw new ArgumentException($"{genes.Length} gene names for {bias.Length} outputs.");
        FeatureCount = featureCount;
        _weights = weights;
        _bias = bias;
        _genes = genes;
        Alpha = alpha;
    }

    /// <summary>Width of the feature vector the model expects.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of predicted genes.</summary>
    public int OutputCount => _bias.Length;

    /// <summary>The penalty used (chosen by GCV unless given).</summary>
    public double Alpha { get; }

    /// <summary>Predicted gene names, if known.</summary>
    public IReadOnlyList<string>? Genes => _genes;

    /// <inheritdoc />
    protected override DataViewSchema.DetachedColumn GetOutputColumn(DataViewSchema inputSchema, DataViewSchema.Column input)
    {
        var expected = ColumnTypes.FloatTensor(FeatureCount);
        if (!input.Type.Equals(expected))
            throw new SchemaMismatchException(InputColumn, expected.ToString(), input.Type.ToString(), "RidgeRegression");
        return SchemaColumns.Create(OutputColumn, ColumnTypes.FloatTensor(OutputCount), _genes);
    }

    /// <inheritdoc />
    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, DataViewSchema.DetachedColumn output, List<IDisposable> resources)
    {
        int d = FeatureCount, k = OutputCount;
        return batch =>
        {
            var x = batch.GetFloats(InputColumn);
            var result = new float[batch.RowCount * k];
            for (int r = 0; r < batch.RowCount; r++)
            {
                var row = result.AsSpan(r * k, k);
                _bias.CopyTo(row);
                for (int i = 0; i < d; i++)
                {
                    float xi = x[r * d + i];
                    if (!float.IsFinite(xi)) throw new InvalidDataException($"RidgeRegression: feature {i} of a row is {xi}.");
                    if (_center is not null) xi -= _center[i];
                    var w = _weights.AsSpan(i * k, k);
                    for (int j = 0; j < k; j++) row[j] += xi * w[j];
                }
            }
            return result;
        };
    }

    /// <summary>Input name of the exported ONNX graph.</summary>
    public const string OnnxInputName = "features";

    /// <summary>Output name of the exported ONNX graph.</summary>
    public const string OnnxOutputName = "expression";

    /// <summary>
    /// The model as ONNX (opset 17): <see cref="OnnxInputName"/> float [N, D] → Sub (feature means) → MatMul + Add →
    /// <see cref="OnnxOutputName"/> float [N, K]; gene names in the metadata entry "genes".
    /// </summary>
    public byte[] ExportOnnx() => BuildOnnx().ToBytes();

    /// <summary>Saves into an ML.NET model as a stock <c>OnnxTransformer</c> over <see cref="ExportOnnx()"/> (features column →
    /// output column), which <c>MLContext.Model.Load</c> returns.</summary>
    protected override void SaveAsStock(ModelSaveContext ctx) => OnnxStockSaver.Save(ctx, ExportOnnx(),
        (OnnxInputName, SchemaColumns.Create(InputColumn, ColumnTypes.FloatTensor(FeatureCount))), [(OnnxOutputName, OutputColumn)]);

    /// <summary>Writes <see cref="ExportOnnx()"/> to <paramref name="path"/> atomically.</summary>
    public void ExportOnnx(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        BuildOnnx().Save(path);
    }

    private OnnxGraphBuilder BuildOnnx()
    {
        var g = new OnnxGraphBuilder("ridge_regression") { DocString = $"MlNetStem ridge regression: {FeatureCount} features → {OutputCount} genes." };
        g.AddMetadata("mlnetstem.component", "RidgeRegression");
        if (_genes is not null) g.AddMetadata("genes", string.Join('\n', _genes));
        string x = g.AddInput(OnnxInputName, OnnxElementType.Float, "N", FeatureCount);
        if (_center is not null) x = g.AddNode("Sub", [x, g.AddInitializer("ridge.center", _center, FeatureCount)]);
        string w = g.AddInitializer("ridge.weight", _weights, FeatureCount, OutputCount);
        string y = g.AddNode("MatMul", [x, w]);
        g.AddNode("Add", "", [y, g.AddInitializer("ridge.bias", _bias, OutputCount)], [OnnxOutputName]);
        g.AddOutput(OnnxOutputName, OnnxElementType.Float, "N", OutputCount);
        return g;
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context)
    {
        context.WriteJson("ridge.json", new State(OutputColumn, InputColumn, FeatureCount, OutputCount, _genes, Alpha));
        context.WriteFloats("weights.f32", _weights);
        context.WriteFloats("bias.f32", _bias);
        if (_center is not null) context.WriteFloats("center.f32", _center);
    }

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    public static ITransformer Load(ComponentLoadContext context)
    {
        var s = context.ReadJson<State>("ridge.json");
        if (s.FeatureCount < 1 || s.OutputCount < 1 || (long)s.FeatureCount * s.OutputCount > Array.MaxLength / sizeof(float)
            || (s.Genes is not null && s.Genes.Length != s.OutputCount))
            throw new ModelFormatException(
                $"RidgeRegression entry 'ridge.json' describes an impossible model: {s.FeatureCount} features, {s.OutputCount} outputs" +
                $"{(s.Genes is null ? "" : $", {s.Genes.Length} gene names")}.");
        float[] Read(string entry, int count) => ModelLoadChecks.Finite(context.ReadFloats(entry, count), "RidgeRegression", entry);
        return new RidgeTransformer(s.OutputColumn, s.FeatureColumn, s.FeatureCount,
            Read("weights.f32", s.FeatureCount * s.OutputCount), Read("bias.f32", s.OutputCount), s.Genes, s.Alpha,
            context.Has("center.f32") ? Read("center.f32", s.FeatureCount) : null);
    }

    private sealed record State(string OutputColumn, string FeatureColumn, int FeatureCount, int OutputCount, string[]? Genes, double Alpha);
}
