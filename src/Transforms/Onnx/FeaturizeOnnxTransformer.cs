using System.Security.Cryptography;
using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.Model;
using MlNetStem.Onnx;
using MlNetStem.Pipeline;
using MlNetStem.Transforms.Imaging;

namespace MlNetStem.Transforms.Onnx;

/// <summary>
/// Runs ONNX image encoders over a patch column: each patch is resized (bilinear) to the
/// encoder's input, normalized, fed in batches, and the pooled outputs are concatenated into
/// one embedding whose slots are named <c>model:index</c>. The model bytes live inside the
/// transformer (and its saved archive), so a saved pipeline is self-contained.
/// </summary>
/// <remarks>
/// One ONNX Runtime session per encoder is opened on first use and shared by every
/// enumeration and thread; <see cref="Dispose"/> releases them (runs in progress finish first).
/// </remarks>
// Version 2 adds CNN feature maps and fixed-batch models, which a version 1 reader would refuse or feed wrongly.
[ModelComponent("FeaturizeOnnx", 2, MinReaderVersion = 2)]
public sealed class FeaturizeOnnxTransformer : ColumnMapperTransformer, IDisposable
{
    private readonly OnnxEncoderSpec[] _encoders;
    private readonly OnnxSession?[] _sessions;
    private readonly IReadOnlyList<string> _slotNames;
    private readonly EmbeddingCache? _cache;
    private readonly Lock _gate = new();
    private bool _disposed;

    internal FeaturizeOnnxTransformer(string outputColumn, string inputColumn, IReadOnlyList<OnnxEncoderSpec> encoders,
        int batchSize, string? cacheDirectory, bool dihedralViews = false)
        : base(outputColumn, inputColumn)
    {
        DihedralViews = dihedralViews;
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (encoders.Count == 0) throw new ArgumentException("FeaturizeOnnx needs at least one encoder.", nameof(encoders));
        _encoders = encoders.ToArray();
        _sessions = new OnnxSession?[_encoders.Length];
        BatchSize = batchSize;
        _cache = cacheDirectory is null ? null : new EmbeddingCache(cacheDirectory);
        _slotNames = _encoders.SelectMany(e => Enumerable.Range(0, e.Dimension).Select(j => $"{e.Name}:{j}")).ToArray();
    }

    /// <summary>Width of the output column: the sum of the encoders' embedding widths.</summary>
    public int OutputWidth => _slotNames.Count;

    /// <summary>The encoders' names (model file names without extension), in output order.</summary>
    public IReadOnlyList<string> EncoderNames => _encoders.Select(e => e.Name).ToArray();

    /// <summary>How each encoder is fed, in output order (decided when the estimator inspected the model).</summary>
    public IReadOnlyList<OnnxBatching> EncoderBatching => _encoders.Select(e => e.Batching).ToArray();

    /// <summary>Patches per ONNX Runtime call (an encoder with <see cref="OnnxBatching.Fixed"/> batching gets its own size).</summary>
    public int BatchSize { get; }

    /// <summary>True when each spot's output holds the embeddings of its patch's 8 dihedral views, <c>[8, D]</c>.</summary>
    public bool DihedralViews { get; }

    /// <summary>The embedding cache folder, or null.</summary>
    public string? CacheDirectory => _cache?.Directory;

    /// <inheritdoc />
    protected override string ComponentName => "FeaturizeOnnx";

    /// <summary>
    /// The same transformer (same models, no new session) reading and writing embeddings in
    /// <paramref name="cacheDirectory"/>, or without a cache when null. The cache folder is not
    /// saved with a model, so this re-attaches one after loading.
    /// </summary>
    public FeaturizeOnnxTransformer WithCacheDirectory(string? cacheDirectory) =>
        new(OutputColumn, InputColumn, _encoders, BatchSize, cacheDirectory, DihedralViews);

    /// <summary>Patches must be <c>[3,H,W]</c> float tensors.</summary>
    /// <exception cref="SchemaMismatchException">Another shape.</exception>
    internal static void CheckPatchShape(string column, DataViewType type)
    {
        if (type.Kind != ColumnKind.FloatTensor || !type.IsKnownSize) return;
        var d = type.Dimensions;
        if (d.Count != 3 || d[0] != 3 || d[1] < 2 || d[2] < 2)
            throw new SchemaMismatchException(column, "RGB patches Tensor<Float32>[3×H×W] (H, W ≥ 2)", type.ToString(), "FeaturizeOnnx");
    }

    /// <inheritdoc />
    protected override DataViewSchema.DetachedColumn GetOutputColumn(DataViewSchema inputSchema, DataViewSchema.Column input)
    {
        var patchType = ImagePatches.PatchTypeOf(InputColumn, input.Type, ComponentName);
        CheckPatchShape(InputColumn, patchType);
        if (patchType.Kind != ColumnKind.FloatTensor || !patchType.IsKnownSize)
            throw new SchemaMismatchException(InputColumn, "RGB patches Tensor<Float32>[3×H×W]", input.Type.ToString(), ComponentName);
        if (!DihedralViews) return SchemaColumns.Create(OutputColumn, ColumnTypes.FloatTensor(OutputWidth), _slotNames);
        if (patchType.Dimensions[1] != patchType.Dimensions[2])
            throw new SchemaMismatchException(InputColumn, "square patches for dihedral views", patchType.ToString(), ComponentName);
        return SchemaColumns.Create(OutputColumn, ColumnTypes.FloatTensor(DihedralTransform.Views, OutputWidth));
    }

    /// <inheritdoc />
    protected override Func<DataBatch, Array> CreateMapper(DataViewSchema inputSchema, DataViewSchema.DetachedColumn output, List<IDisposable> resources)
    {
        var inputType = inputSchema[InputColumn].Type;
        var dims = ImagePatches.PatchTypeOf(InputColumn, inputType, ComponentName).Dimensions;
        int patchHeight = dims[1], patchWidth = dims[2], patchLength = 3 * patchHeight * patchWidth, width = OutputWidth;
        var passes = new EncoderPass[_encoders.Length];
        for (int i = 0, offset = 0; i < _encoders.Length; offset += _encoders[i].Dimension, i++)
            passes[i] = new EncoderPass(this, i, offset, patchHeight, patchWidth);
        return batch =>
        {
            var patches = ImagePatches.Read(batch, InputColumn, inputType, ComponentName);
            int rows = batch.RowCount;
            if (DihedralViews)
            {
                // Each spot's 8 views one after the other: the encoders see 8·rows patches, and the embeddings come out
                // in [row, view, D] order, the layout of the [8, D] output.
                var views = new float[patches.Length * DihedralTransform.Views];
                Parallel.For(0, rows * DihedralTransform.Views, ComputeThreads.ParallelOptions, i => DihedralTransform.Apply(
                    patches.AsSpan(i / DihedralTransform.Views * patchLength, patchLength), 3, patchHeight, i % DihedralTransform.Views,
                    views.AsSpan(i * patchLength, patchLength)));
                patches = views;
                rows *= DihedralTransform.Views;
            }
            var embeddings = new float[rows * width];
            byte[][]? patchKeys = null;
            if (_cache is not null)
            {
                patchKeys = new byte[rows][];
                Parallel.For(0, rows, ComputeThreads.ParallelOptions, r => patchKeys[r] = EmbeddingCache.PatchKey(
                    patches.AsSpan(r * patchLength, patchLength), patchHeight, patchWidth));
            }
            foreach (var pass in passes) pass.Run(patches, rows, embeddings, width, patchKeys);
            return embeddings;
        };
    }

    /// <summary>Releases the ONNX Runtime sessions. Transforming afterwards throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            for (int i = 0; i < _sessions.Length; i++)
            {
                _sessions[i]?.Dispose();
                _sessions[i] = null;
            }
        }
    }

    private OnnxSession Session(int index)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_sessions[index] is { } open) return open;
            var spec = _encoders[index];
            // --threads caps ONNX Runtime's intra-op pool too; unset, ORT takes one thread per core.
            var session = OnnxSession.FromBytes(spec.ModelBytes, new OnnxSessionOptions { IntraOpThreads = ComputeThreads.Limit ?? 0 });
            try
            {
                spec.CheckAgainst(session);
            }
            catch
            {
                session.Dispose();
                throw;
            }
            return _sessions[index] = session;
        }
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.WriteJson("options.json", new State(OutputColumn, InputColumn, BatchSize, _encoders, DihedralViews));
        // One entry per distinct model: the same encoder listed twice is stored once.
        foreach (var encoder in _encoders.DistinctBy(e => e.Sha256)) context.WriteBytes(ModelEntry(encoder.Sha256), encoder.ModelBytes);
    }

    /// <summary>Reads the transformer written by <see cref="Save"/>, models included (no cache folder).</summary>
    /// <exception cref="ModelFormatException">A model entry is missing or does not match its recorded SHA-256.</exception>
    public static ITransformer Load(ComponentLoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var state = context.ReadJson<State>("options.json");
        if (state.Encoders is not { Count: > 0 })
            throw new ModelFormatException("FeaturizeOnnx entry lists no encoder.");
        var encoders = state.Encoders.Select(spec =>
        {
            if (spec.Sha256 is not { Length: 64 } || !spec.Sha256.All(char.IsAsciiHexDigitLower))
                throw new ModelFormatException($"FeaturizeOnnx model '{spec.Name}' has no valid SHA-256 in the archive.");
            byte[] bytes = context.ReadBytes(ModelEntry(spec.Sha256));
            string hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (hash != spec.Sha256)
                throw new ModelFormatException($"FeaturizeOnnx model '{spec.Name}' in the archive has SHA-256 {hash}, expected {spec.Sha256} (corrupt archive).");
            return spec with { ModelBytes = bytes };
        }).ToArray();
        return new FeaturizeOnnxTransformer(state.OutputColumn, state.InputColumn, encoders, state.BatchSize, null, state.DihedralViews);
    }

    private static string ModelEntry(string sha256) => $"encoder-{sha256}.onnx";

    private sealed record State(string OutputColumn, string InputColumn, int BatchSize, IReadOnlyList<OnnxEncoderSpec> Encoders,
        bool DihedralViews = false);

    /// <summary>One encoder's work for one enumeration: resampling tables and a reusable input buffer.</summary>
    private sealed class EncoderPass
    {
        private readonly FeaturizeOnnxTransformer _owner;
        private readonly OnnxEncoderSpec _spec;
        private readonly int _index, _offset, _patchLength, _height, _width;
        private readonly PatchResampler _resampler;
        private readonly byte[]? _encoderKey;
        private float[]? _fullBatch;

        public EncoderPass(FeaturizeOnnxTransformer owner, int index, int offset, int patchHeight, int patchWidth)
        {
            _owner = owner;
            _index = index;
            _spec = owner._encoders[index];
            _offset = offset;
            _patchLength = 3 * patchHeight * patchWidth;
            _height = _spec.Height ?? patchHeight;
            _width = _spec.Width ?? patchWidth;
            _resampler = new PatchResampler(patchHeight, patchWidth, _height, _width);
            _encoderKey = owner._cache is null ? null : EmbeddingCache.EncoderKey(_spec);
        }

        public void Run(float[] patches, int rows, float[] embeddings, int rowWidth, byte[][]? patchKeys)
        {
            int dim = _spec.Dimension;
            var cache = _owner._cache;
            string[]? keys = null;
            List<int> todo;
            if (cache is null || patchKeys is null)
            {
                todo = Enumerable.Range(0, rows).ToList();
            }
            else
            {
                keys = new string[rows];
                todo = new List<int>();
                for (int r = 0; r < rows; r++)
                {
                    keys[r] = EmbeddingCache.EntryKey(_encoderKey!, patchKeys[r]);
                    if (!cache.TryRead(keys[r], embeddings.AsSpan(r * rowWidth + _offset, dim))) todo.Add(r);
                }
            }
            if (todo.Count == 0) return;

            var session = _owner.Session(_index);
            int imageLength = 3 * _height * _width;
            // A fixed-batch model gets exactly its batch per run, the last one padded with zeros.
            int? fixedBatch = _spec.Batching == OnnxBatching.Fixed ? (int)session.Inputs[0].Dimensions[0] : null;
            int batchSize = fixedBatch ?? _owner.BatchSize;
            for (int start = 0; start < todo.Count; start += batchSize)
            {
                int n = Math.Min(batchSize, todo.Count - start), fed = fixedBatch ?? n;
                // ORT needs an array of exactly `fed` images; full chunks share one buffer.
                float[] input = fed == batchSize ? _fullBatch ??= new float[batchSize * imageLength] : new float[fed * imageLength];
                if (n < fed) input.AsSpan(n * imageLength).Clear();
                Parallel.For(0, n, ComputeThreads.ParallelOptions, k => Prepare(patches.AsSpan(todo[start + k] * _patchLength, _patchLength), input.AsSpan(k * imageLength, imageLength)));
                var result = session.Run(new Dictionary<string, OnnxTensor>
                {
                    [_spec.InputName] = OnnxTensor.Create(input, fed, 3, _height, _width),
                }, _spec.OutputName)[_spec.OutputName];
                for (int k = 0; k < n; k++)
                {
                    int r = todo[start + k];
                    var destination = embeddings.AsSpan(r * rowWidth + _offset, dim);
                    Pool(result, fed, k, destination);
                    if (keys is not null) cache!.Write(keys[r], destination);
                }
            }
        }

        private void Prepare(ReadOnlySpan<float> patch, Span<float> image)
        {
            int inPlane = _patchLength / 3, outPlane = _height * _width;
            for (int c = 0; c < 3; c++)
            {
                // Mean and std are listed in RGB order; BGR models read the planes reversed.
                int source = _spec.Channels == ChannelOrder.Bgr ? 2 - c : c;
                _resampler.ResampleNormalized(patch.Slice(source * inPlane, inPlane), image.Slice(c * outPlane, outPlane),
                    _spec.Mean[source], _spec.Std[source]);
            }
        }

        private void Pool(OnnxTensor output, int n, int k, Span<float> destination)
        {
            var shape = output.Shape;
            int dim = _spec.Dimension;
            int width = shape.Count == 4 ? (int)shape[1] : (int)shape[^1];
            if (shape.Count != _spec.OutputRank || shape[0] != n || width != dim || shape.Skip(1).Any(d => d < 1))
                throw new InvalidDataException($"ONNX model '{_spec.Name}' returned {output} for {n} patches; expected {Expected(n)}.");
            var data = output.GetData<float>();
            if (shape.Count == 2)
            {
                data.AsSpan(k * dim, dim).CopyTo(destination);
                return;
            }
            if (shape.Count == 4)
            {
                // A CNN's feature map: global average pooling over H×W, as torchvision's avgpool before the classifier.
                int plane = (int)(shape[2] * shape[3]);
                var map = data.AsSpan(k * dim * plane, dim * plane);
                for (int c = 0; c < dim; c++)
                {
                    double sum = 0;
                    foreach (float v in map.Slice(c * plane, plane)) sum += v;
                    destination[c] = (float)(sum / plane);
                }
                return;
            }
            int tokens = (int)shape[1];
            var row = data.AsSpan(k * tokens * dim, tokens * dim);
            if (_spec.Pooling == OnnxPooling.Cls)
            {
                row[..dim].CopyTo(destination);
                return;
            }
            if (tokens < 2)
                throw new InvalidDataException($"ONNX model '{_spec.Name}' returned {tokens} token(s); mean pooling needs at least 2 (CLS + patches).");
            for (int j = 0; j < dim; j++)
            {
                double sum = 0;
                for (int t = 1; t < tokens; t++) sum += row[t * dim + j];
                destination[j] = (float)(sum / (tokens - 1));
            }
        }

        private string Expected(int n) => _spec.OutputRank switch
        {
            2 => $"[{n},{_spec.Dimension}]",
            3 => $"[{n},T,{_spec.Dimension}]",
            _ => $"[{n},{_spec.Dimension},H,W]",
        };
    }
}
