using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Pipeline;

namespace MlNetStem.Transforms.Onnx;

/// <summary>
/// Embeds each patch with one or more ONNX image encoders (any ViT or CNN with a
/// <c>[N,3,H,W]</c> float input) and concatenates the pooled outputs. Nothing is learned; the
/// models are read and checked when the estimator is created, so a missing file or an
/// unusable model fails before any data is read. A model with a fixed batch (ML.NET's ResNet18
/// takes one image) is rewritten to a symbolic batch when a probe shows that it gives the same
/// embeddings, else fed its fixed batch (<see cref="OnnxBatching"/>).
/// </summary>
public sealed class FeaturizeOnnxEstimator : IEstimator<FeaturizeOnnxTransformer>
{
    private readonly FeaturizeOnnxOptions _options;
    private readonly OnnxEncoderSpec[] _encoders;

    /// <summary>Creates the estimator, reading every model once to check its input and output.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">Invalid options, or a model whose input is not a rank-4 float [N,3,H,W] tensor,
    /// whose output is not a float [N,D], [N,T,D] or [N,C,H,W] tensor, or that does not fit the pooling or input size asked for.
    /// The message names the model.</exception>
    /// <exception cref="FileNotFoundException">A model file does not exist.</exception>
    /// <exception cref="DllNotFoundException">The ONNX Runtime library is missing (run scripts/setup.sh).</exception>
    public FeaturizeOnnxEstimator(FeaturizeOnnxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        var names = new HashSet<string>(StringComparer.Ordinal);
        _encoders = options.Encoders.Select(e =>
        {
            string stem = Path.GetFileNameWithoutExtension(e.ModelPath), name = stem;
            for (int k = 2; !names.Add(name); k++) name = $"{stem}#{k}";
            return OnnxEncoderSpec.Inspect(e, name);
        }).ToArray();
    }

    /// <summary>Width of the output column: the sum of the encoders' embedding widths.</summary>
    public int OutputWidth => _encoders.Sum(e => e.Dimension);

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        // A float patch [3, H, W], or an ML.NET image column (ImageAnalytics' LoadImages + ResizeImages).
        if (inputSchema.Find(_options.InputColumn) is not { } image || !Imaging.ImagePatches.IsImage(image))
            inputSchema.RequireKind(_options.InputColumn, "FeaturizeOnnx", ColumnKind.FloatTensor);
        return _options.DihedralViews
            ? inputSchema.With(_options.OutputColumn, ColumnTypes.FloatTensor(DihedralTransform.Views, OutputWidth))
            : inputSchema.With(_options.OutputColumn, ColumnTypes.FloatTensor(OutputWidth), hasSlotNames: true);
    }

    /// <inheritdoc />
    public FeaturizeOnnxTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new FeaturizeOnnxTransformer(_options.OutputColumn, _options.InputColumn, _encoders, _options.BatchSize, _options.CacheDirectory,
            _options.DihedralViews);
        // The patch shape is checked on the schema: shapes carry no vector sizes.
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }
}
