using System.Diagnostics;
using System.Globalization;
using MlNetStem.Data;
using MlNetStem.Pipeline;
using MlNetStem.Torch;
using MlNetStem.Torch.Optim;
using MlNetStem.Trainers.Diffusion;

namespace MlNetStem.Trainers.StAnd;

/// <summary>
/// ST-AnD: learns per-nucleus expression from spot-level labels by multiple-instance learning. Each nucleus crop goes through
/// a conv encoder (or ST-AnD's VQ-VAE) and a genomic decoder to a value in (0, 1) per gene; a spot's nuclei are pooled
/// (noisy-AND by default), scaled by β × the number of nuclei and a learned per-gene scale, and fit to the spot's
/// log2(x + 1) expression with MSE (AdamW, minibatches of spots, random flips/transposes of the crops). Spots without a
/// nucleus carry no image evidence and are left out of training. The same seed gives the same model.
/// </summary>
public sealed class StAndEstimator : IEstimator<StAndTransformer>
{
    private readonly StAndOptions _options;
    private readonly IProgressReporter _progress;

    /// <summary>Creates the estimator.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public StAndEstimator(StAndOptions options, IProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _progress = progress ?? SilentProgressReporter.Instance;
    }

    /// <summary>The options in effect.</summary>
    public StAndOptions Options => _options;

    /// <inheritdoc />
    /// <exception cref="SchemaMismatchException">The label, crop or mask column is missing or not a float vector.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        const string who = nameof(StAndEstimator);
        inputSchema.RequireKind(_options.CropColumn, who, ColumnKind.FloatTensor);
        inputSchema.RequireKind(_options.MaskColumn, who, ColumnKind.FloatTensor);
        var label = inputSchema.RequireKind(_options.LabelColumn, who, ColumnKind.FloatTensor);
        return inputSchema.WithCopy(label, _options.OutputColumn)
            .With(_options.NucleusOutputColumn, new VectorDataViewType(NumberDataViewType.Single, 1));
    }

    /// <inheritdoc />
    /// <exception cref="SchemaMismatchException">A column is missing or of the wrong shape.</exception>
    /// <exception cref="InvalidDataException">No spot has a nucleus, or the labels hold NaN or infinite values.</exception>
    public StAndTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (maxNuclei, cropSize) = StAndTransformer.CheckInputs(input.Schema, _options.CropColumn, _options.MaskColumn, nameof(StAndEstimator));
        var labelColumn = input.Schema.RequireKind(_options.LabelColumn, nameof(StAndEstimator), ColumnKind.FloatTensor);
        int genes = labelColumn.Type.Size;
        if (genes < 1) throw new InvalidDataException($"ST-AnD needs a non-empty label vector in '{_options.LabelColumn}'.");

        var spots = Read(input, maxNuclei, cropSize, genes, out int rows);
        if (spots.Count == 0)
            throw new InvalidDataException($"ST-AnD: none of the {rows} training spots has a nucleus in '{_options.MaskColumn}' " +
                "(was nucleus detection run on the right image and spot size?); it learns from nuclei and has nothing to fit.");
        int nuclei = spots.Sum(s => s.Count);

        if (_options.Threads is { } threads) TorchThreads.Set(threads);
        int seed = _options.Seed ?? 0;
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        int length = 3 * cropSize * cropSize;
        double cropVariance = Variance(spots);
        using var initGenerator = new Generator(SeedMixer.Mix(seed, 0, 1));
        using var dropoutGenerator = new Generator(SeedMixer.Mix(seed, 0, 2));
        var network = new StAndNetwork(cropSize, genes, _options, initGenerator, dropoutGenerator);
        try
        {
            network.SetLogScale(InitialLogScale(spots, genes));
            var permutations = Dihedral.Permutations(cropSize);
            using var optimizer = new AdamW(network.Parameters(), _options.LearningRate, weightDecay: _options.WeightDecay);
            var order = Enumerable.Range(0, spots.Count).ToArray();
            double spotLoss = double.NaN;
            using (var scope = _progress.Start($"training ST-AnD ({spots.Count} spots, {nuclei} nuclei)", _options.Epochs))
            {
                for (int epoch = 1; epoch <= _options.Epochs; epoch++)
                {
                    random.Shuffle(order);
                    double sum = 0;
                    for (int start = 0; start < order.Length; start += _options.BatchSize)
                    {
                        using var step = Tensor.NewScope();
                        var batch = order.AsSpan(start, Math.Min(_options.BatchSize, order.Length - start)).ToArray();
                        int m = batch.Sum(b => spots[b].Count);
                        var crops = new float[m * length];
                        int offset = 0;
                        foreach (int b in batch)
                        for (int k = 0; k < spots[b].Count; k++, offset++)
                        {
                            var permutation = permutations[_options.Augment ? random.Next(8) : 0];
                            Dihedral.ToChannelsLast(spots[b].Crops.AsSpan(k * length, length), permutation, crops.AsSpan(offset * length, length));
                        }
                        var labels = new float[batch.Length * genes];
                        for (int i = 0; i < batch.Length; i++) spots[batch[i]].Label.CopyTo(labels, i * genes);
                        optimizer.ZeroGrad();
                        var (features, auxiliary) = network.Encode(Tensor.FromArray(crops, [m, cropSize * cropSize, 3]), cropVariance);
                        var values = network.NucleusValues(features);
                        var counts = batch.Select(b => spots[b].Count).ToArray();
                        var (padded, mask, count) = StAndTransformer.Pad(values, counts, genes);
                        var prediction = network.SpotOutput(network.Pool(padded, mask, count), count);
                        var loss = Tensor.MseLoss(prediction, Tensor.FromArray(labels, [batch.Length, genes]));
                        sum += loss.Item() * batch.Length;
                        (auxiliary is null ? loss : loss + auxiliary).Backward();
                        optimizer.Step();
                    }
                    spotLoss = sum / order.Length;
                    scope.SetStatus($"epoch {epoch}/{_options.Epochs} spot MSE {spotLoss.ToString("0.0000", CultureInfo.InvariantCulture)}");
                    scope.Advance();
                }
            }
            network.Eval();
            var summary = new StAndTrainingSummary(_options.Epochs, spotLoss, spots.Count, nuclei, clock.Elapsed.TotalSeconds);
            return new StAndTransformer(_options with { Seed = seed }, cropSize, genes, labelColumn.SlotNames?.ToArray(), network, summary);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private sealed record Spot(float[] Crops, int Count, float[] Label);

    private List<Spot> Read(IDataView input, int maxNuclei, int cropSize, int genes, out int rows)
    {
        int length = 3 * cropSize * cropSize;
        var spots = new List<Spot>();
        rows = 0;
        using var scope = _progress.Start("reading nucleus crops", input.GetRowCount());
        foreach (var batch in input.ReadBatches([_options.CropColumn, _options.MaskColumn, _options.LabelColumn], 16))
        {
            var crops = batch.GetFloats(_options.CropColumn);
            var mask = batch.GetFloats(_options.MaskColumn);
            var labels = batch.GetFloats(_options.LabelColumn);
            for (int r = 0; r < batch.RowCount; r++)
            {
                var label = labels.AsSpan(r * genes, genes).ToArray();
                if (!label.All(float.IsFinite))
                    throw new InvalidDataException($"ST-AnD: column '{_options.LabelColumn}' contains NaN or infinite values.");
                var valid = Enumerable.Range(0, maxNuclei).Where(k => mask[r * maxNuclei + k] != 0).ToArray();
                rows++;
                if (valid.Length == 0) continue;
                var own = new float[valid.Length * length];
                for (int i = 0; i < valid.Length; i++)
                    crops.AsSpan((r * maxNuclei + valid[i]) * length, length).CopyTo(own.AsSpan(i * length, length));
                spots.Add(new Spot(own, valid.Length, label));
            }
            scope.Advance(batch.RowCount);
        }
        return spots;
    }

    /// <summary>
    /// log of the per-gene scale that puts a spot of average size whose pooled value is one half at the mean label:
    /// s·β·n̄·½ = 2^ȳ − 1, so training starts near the labels' level instead of climbing to it.
    /// </summary>
    private float[] InitialLogScale(List<Spot> spots, int genes)
    {
        double meanCount = spots.Average(s => s.Count);
        var result = new float[genes];
        for (int g = 0; g < genes; g++)
        {
            double mean = spots.Average(s => s.Label[g]);
            double counts = Math.Max(Math.Pow(2, mean) - 1, 1e-2);
            result[g] = (float)Math.Log(counts / (_options.CellScale * meanCount * 0.5));
        }
        return result;
    }

    /// <summary>Variance of the crop values (the VQ-VAE's reconstruction loss is divided by it, as in ST-AnD).</summary>
    private static double Variance(List<Spot> spots)
    {
        double sum = 0, squares = 0;
        long n = 0;
        foreach (var spot in spots)
            foreach (float v in spot.Crops)
            {
                sum += v;
                squares += (double)v * v;
                n++;
            }
        double mean = sum / n;
        return Math.Max(squares / n - mean * mean, 1e-6);
    }
}
