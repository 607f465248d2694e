using MlNetStem.Onnx.Writer;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;
using MlNetStem.Trainers.Diffusion.Export;

namespace MlNetStem.Trainers.StAnd;

/// <summary>
/// ST-AnD's network: a conv encoder of each nucleus crop (optionally with a vector quantizer and a reconstruction decoder: a
/// VQ-VAE), a genomic decoder giving each nucleus a value in (0, 1) per gene, multiple-instance pooling over a spot's nuclei,
/// and the spot output <c>log2(s·β·n·P + 1)</c> with a learned per-gene scale s = exp(log_scale) (ST-AnD's ReLU(w·x) with w
/// kept positive). Crops enter channels-last, <c>[M, S², 3]</c>. Callers open a DisposeScope.
/// </summary>
internal sealed class StAndNetwork : Module
{
    private static readonly double Ln2 = Math.Log(2);

    private readonly StAndOptions _options;
    private readonly GatherConv2d _conv1;
    private readonly GatherConv2d _conv2;
    private readonly Linear _latent;
    private readonly Linear _genomic1;
    private readonly Linear _genomic2;
    private readonly Linear? _up1;
    private readonly Linear? _up2;
    private readonly Tensor? _codebook;
    private readonly Tensor _poolBias;
    private readonly Tensor _logScale;
    private readonly Dropout? _dropout;

    public StAndNetwork(int cropSize, int genes, StAndOptions options, Generator init, Generator? dropoutGenerator = null)
    {
        if (cropSize < 4 || cropSize % 4 != 0) throw new ArgumentException($"ST-AnD crops must be a multiple of 4 pixels wide, got {cropSize}.");
        _options = options;
        CropSize = cropSize;
        Genes = genes;
        _conv1 = RegisterModule("conv1", new GatherConv2d(3, 32, cropSize, 3, 2, 1, init));
        _conv2 = RegisterModule("conv2", new GatherConv2d(32, 64, _conv1.OutSize, 3, 2, 1, init));
        GridCells = _conv2.OutSize * _conv2.OutSize;
        _latent = RegisterModule("latent", new Linear(64, options.LatentChannels, init));
        FeatureCount = GridCells * options.LatentChannels;
        if (options.IsVqVae)
        {
            using var scope = Tensor.NewScope();
            double bound = 1.0 / options.CodebookSize;
            _codebook = RegisterParameter("codebook", (Tensor.Rand([options.CodebookSize, options.LatentChannels], init) * (2 * bound) - bound).MoveToOuterScope());
            _up1 = RegisterModule("up1", new Linear(options.LatentChannels, 4 * 32, init));
            _up2 = RegisterModule("up2", new Linear(32, 4 * 3, init));
        }
        _genomic1 = RegisterModule("genomic1", new Linear(FeatureCount, genes, init));
        _genomic2 = RegisterModule("genomic2", new Linear(genes, genes, init));
        _poolBias = RegisterParameter("pool_bias", Tensor.Full([genes], 0.5));
        _logScale = RegisterParameter("log_scale", Tensor.Zeros([genes]));
        if (options.Dropout > 0 && dropoutGenerator is not null) _dropout = new Dropout(options.Dropout, dropoutGenerator);
    }

    public int CropSize { get; }

    public int Genes { get; }

    /// <summary>Cells of the latent grid ((S/4)²).</summary>
    public int GridCells { get; }

    /// <summary>Features per nucleus: the flattened (quantized) latent grid.</summary>
    public int FeatureCount { get; }

    /// <summary>Sets the per-gene output scale (before training, from the labels).</summary>
    public void SetLogScale(float[] values)
    {
        using var scope = Tensor.NewScope();
        using var noGrad = new NoGradScope();
        _logScale.CopyFrom(Tensor.FromArray(values, [values.Length]));
    }

    /// <summary>
    /// Features of <c>[M, S², 3]</c> crops: <c>[M, FeatureCount]</c>. With the VQ-VAE while training, also the auxiliary loss
    /// (codebook + β·commitment + weighted reconstruction MSE / <paramref name="cropVariance"/>); null otherwise.
    /// </summary>
    public (Tensor Features, Tensor? AuxiliaryLoss) Encode(Tensor crops, double cropVariance = 1)
    {
        long m = crops.Size(0);
        var h = _conv1.Forward(crops).Relu();
        h = _conv2.Forward(h).Relu();
        var z = _latent.Forward(h);                                        // [M, cells, L]
        if (_codebook is null) return (z.Reshape(m, FeatureCount), null);
        long rows = m * GridCells;
        var flat = z.Reshape(rows, _options.LatentChannels);
        var index = Tensor.FromArray(Nearest(flat), [rows]);
        var q = _codebook.IndexSelect(0, index);
        var quantized = flat + (q - flat).Detach();                        // straight-through estimator
        Tensor? auxiliary = null;
        if (IsTraining)
        {
            auxiliary = Tensor.MseLoss(q, flat.Detach()) + Tensor.MseLoss(flat, q.Detach()) * _options.CommitmentCost;
            if (_options.ReconstructionWeight > 0)
                auxiliary = auxiliary + Tensor.MseLoss(Reconstruct(quantized.Reshape(m, GridCells, _options.LatentChannels)), crops)
                    * (_options.ReconstructionWeight / cropVariance);
        }
        return (quantized.Reshape(m, FeatureCount), auxiliary);
    }

    /// <summary>Index of the nearest codebook entry of each row (‖z − e‖² = ‖e‖² − 2 z·e + const).</summary>
    private long[] Nearest(Tensor flat)
    {
        float[] distances;
        int k = _options.CodebookSize;
        using (Tensor.NewScope())
        using (new NoGradScope())
        {
            var codebook = _codebook!.Detach();
            distances = (codebook.Square().Sum(1).Unsqueeze(0) - flat.Detach().Matmul(codebook.Transpose(0, 1)) * 2).ToFloatArray();
        }
        var index = new long[distances.Length / k];
        for (int r = 0; r < index.Length; r++)
        {
            var row = distances.AsSpan(r * k, k);
            int best = 0;
            for (int j = 1; j < k; j++) if (row[j] < row[best]) best = j;
            index[r] = best;
        }
        return index;
    }

    /// <summary>Transposed 2×2 stride-2 convolutions (as Linear + pixel shuffle): latent grid → crop, <c>[M, S², 3]</c>.</summary>
    private Tensor Reconstruct(Tensor latent)
    {
        var h = PixelShuffle(_up1!.Forward(latent), _conv2.OutSize, 32).Relu();
        return PixelShuffle(_up2!.Forward(h), _conv1.OutSize, 3);
    }

    /// <summary>[M, s², 4C] → [M, (2s)², C]: output pixel (2i + a, 2j + b) is input cell (i, j)'s sub-pixel (a, b).</summary>
    private static Tensor PixelShuffle(Tensor x, int side, int channels)
    {
        long m = x.Size(0);
        return x.Reshape(m, side, side, 2, 2, channels).Permute(0, 1, 3, 2, 4, 5).Reshape(m, 4L * side * side, channels);
    }

    /// <summary>The genomic decoder: each nucleus' value in (0, 1) per gene, <c>[M, G]</c>.</summary>
    public Tensor NucleusValues(Tensor features)
    {
        var h = _genomic1.Forward(features);
        if (IsTraining && _dropout is not null) h = _dropout.Forward(h);
        h = h.Sigmoid();
        h = _genomic2.Forward(h);
        if (IsTraining && _dropout is not null) h = _dropout.Forward(h);
        return h.Sigmoid();
    }

    /// <summary>Pools nucleus values <c>[B, K, G]</c> (mask <c>[B, K, 1]</c>, count <c>[B, 1]</c>) into <c>[B, G]</c>.</summary>
    public Tensor Pool(Tensor values, Tensor mask, Tensor count)
    {
        var n = count.Clamp(min: 1);
        double r = _options.PoolingExponent;
        switch (_options.Pooling)
        {
            case StAndPooling.Mean:
                return (values * mask).Sum(1) / n;
            case StAndPooling.NoisyAnd:
                return NoisyAnd((values * mask).Sum(1) / n);
            case StAndPooling.NoisyOr:
                return 1.0 - ((1.0 - values).Clamp(min: 1e-6).Log() * mask).Sum(1).Exp();
            case StAndPooling.GeneralizedMean:
                return ((values.Pow(r) * mask).Sum(1) / n).Clamp(min: 1e-12).Pow(1 / r);
            case StAndPooling.LogSumExp:
                return ((values * r).Exp() * mask).Sum(1).Div(n).Log() / r;
            case StAndPooling.Max:
            {
                var x = values * mask;             // values lie in (0, 1): padding at 0 never wins
                long k = x.Size(1), width = 1;
                while (width < k) width *= 2;
                if (width > k) x = Tensor.Cat([x, Tensor.Zeros([x.Size(0), width - k, x.Size(2)])], 1);
                while (width > 1)
                {
                    width /= 2;
                    x = x.Narrow(1, 0, width).Maximum(x.Narrow(1, width, width));
                }
                return x.Squeeze(1);
            }
            default:
                throw new InvalidOperationException($"Unknown pooling {_options.Pooling}.");
        }
    }

    private Tensor NoisyAnd(Tensor mean)
    {
        double g = _options.NoisyAndGamma;
        var low = (_poolBias * -g).Sigmoid();
        var high = ((1.0 - _poolBias) * g).Sigmoid();
        return ((mean - _poolBias) * g).Sigmoid().Sub(low).Div(high - low);
    }

    /// <summary>Spot prediction from pooled values <c>[B, G]</c> and nucleus counts <c>[B, 1]</c>: log2(s·β·n·P + 1).</summary>
    public Tensor SpotOutput(Tensor pooled, Tensor count) =>
        (pooled * count * _options.CellScale * _logScale.Exp()).Add(1).Log() / Ln2;

    /// <summary>
    /// Per-nucleus prediction on the spot scale, <c>[M, G]</c>: log2(cᵢ + 1) with cᵢ = s·β·pool({pᵢ}), the counts nucleus i
    /// contributes to a spot made of n copies of it (whose prediction is log2(n·cᵢ + 1)).
    /// </summary>
    /// <summary>
    /// The per-nucleus model in an ONNX graph, as <see cref="Encode"/> (evaluation mode), <see cref="NucleusValues"/> and
    /// <see cref="NucleusOutput"/> compute it: <paramref name="crops"/> CHW [N, 3, S, S] → log2(cᵢ + 1) [N, G]. The codebook
    /// lookup is an ArgMin over squared distances (ties to the first entry, as in process).
    /// </summary>
    public string EmitOnnx(OnnxGraphOps ops, string crops)
    {
        var graph = ops.Graph;
        string x = ops.Transpose(ops.Reshape(crops, -1, 3, (long)CropSize * CropSize), 0, 2, 1);      // [N, S², 3]
        string h = graph.AddNode("Relu", [_conv1.EmitOnnx(ops, x, "conv1")]);
        h = graph.AddNode("Relu", [_conv2.EmitOnnx(ops, h, "conv2")]);
        string z = OnnxExport.Emit(_latent, graph, h, "latent");                                       // [N, cells, L]
        if (_codebook is not null)
        {
            string flat = ops.Reshape(z, -1, _options.LatentChannels);
            string book = OnnxExport.AddInitializer(graph, "codebook", _codebook);
            string norms;
            using (Tensor.NewScope())
                norms = ops.Floats("codebook_norms", _codebook.Detach().Square().Sum(1).ToFloatArray(), 1, _options.CodebookSize);
            string distances = ops.Sub(norms, ops.Mul(ops.Node("MatMul", flat, ops.Transpose(book, 1, 0)), ops.Scalar("two", 2)));
            string nearest = graph.AddNode("ArgMin", [distances], OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("keepdims", 0),
                OnnxAttribute.Int("select_last_index", 0));
            z = ops.Gather(book, nearest, 0);
        }
        string features = ops.Reshape(z, -1, FeatureCount);
        string p = graph.AddNode("Sigmoid", [OnnxExport.Emit(_genomic1, graph, features, "genomic1")]);
        p = graph.AddNode("Sigmoid", [OnnxExport.Emit(_genomic2, graph, p, "genomic2")]);
        if (_options.Pooling == StAndPooling.NoisyAnd)
        {
            double g = _options.NoisyAndGamma;
            float[] bias, low, range;
            using (Tensor.NewScope())
            {
                bias = _poolBias.Detach().ToFloatArray();
                low = (_poolBias.Detach() * -g).Sigmoid().ToFloatArray();
                range = (((1.0 - _poolBias.Detach()) * g).Sigmoid() - (_poolBias.Detach() * -g).Sigmoid()).ToFloatArray();
            }
            string shifted = ops.Mul(ops.Sub(p, ops.Floats("pool_bias", bias, Genes)), ops.Scalar("pool_gamma", g));
            p = ops.Div(ops.Sub(graph.AddNode("Sigmoid", [shifted]), ops.Floats("pool_low", low, Genes)), ops.Floats("pool_range", range, Genes));
        }
        float[] scale;
        using (Tensor.NewScope())
            scale = (_logScale.Detach().Exp() * _options.CellScale).ToFloatArray();
        string counts = ops.Add(ops.Mul(p, ops.Floats("nucleus_scale", scale, Genes)), ops.Scalar("one", 1));
        return ops.Div(graph.AddNode("Log", [counts]), ops.Scalar("ln2", Ln2));
    }

    public Tensor NucleusOutput(Tensor values)
    {
        var single = _options.Pooling == StAndPooling.NoisyAnd ? NoisyAnd(values) : values;
        return (single * _options.CellScale * _logScale.Exp()).Add(1).Log() / Ln2;
    }
}
