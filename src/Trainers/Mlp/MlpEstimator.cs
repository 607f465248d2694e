using System.Globalization;
using MlNetStem.Data;
using MlNetStem.Pipeline;
using MlNetStem.Torch;
using MlNetStem.Torch.Optim;

namespace MlNetStem.Trainers.Mlp;

/// <summary>
/// Multi-output regression MLP trained with libtorch: features (and by default labels)
/// standardized with training statistics, hidden layers with SiLU or GELU and dropout, AdamW on
/// the mean squared error over seeded minibatches, optional early stopping on a seeded
/// validation split, and an exponential moving average of the weights used for prediction.
/// The same seed gives bit-identical weights.
/// </summary>
public sealed class MlpEstimator : IEstimator<MlpTransformer>
{
    private readonly MlpOptions _options;
    private readonly IProgressReporter _progress;

    /// <summary>Creates the estimator.</summary>
    /// <exception cref="ArgumentException">A hyper-parameter is out of range or a column name is empty.</exception>
    public MlpEstimator(MlpOptions options, IProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.LabelColumn);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.FeatureColumn);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumn);
        if (options.EffectiveHiddenSizes.Any(h => h < 1))
            throw new ArgumentException($"MLP hidden sizes must be ≥ 1, got [{string.Join(", ", options.EffectiveHiddenSizes)}].");
        if (!(options.Dropout >= 0 && options.Dropout < 1)) throw new ArgumentException($"MLP dropout must be in [0, 1), got {options.Dropout}.");
        if (!(options.LearningRate > 0) || double.IsInfinity(options.LearningRate))
            throw new ArgumentException($"MLP learning rate must be positive and finite, got {options.LearningRate}.");
        if (!(options.WeightDecay >= 0)) throw new ArgumentException($"MLP weight decay must be ≥ 0, got {options.WeightDecay}.");
        if (options.BatchSize < 1) throw new ArgumentException($"MLP batch size must be ≥ 1, got {options.BatchSize}.");
        if (options.Epochs < 1) throw new ArgumentException($"MLP epochs must be ≥ 1, got {options.Epochs}.");
        if (options.EarlyStoppingPatience < 0)
            throw new ArgumentException($"MLP early-stopping patience must be ≥ 0, got {options.EarlyStoppingPatience}.");
        if (!(options.ValidationFraction > 0 && options.ValidationFraction < 1))
            throw new ArgumentException($"MLP validation fraction must be in (0, 1), got {options.ValidationFraction}.");
        if (options.EmaDecay is { } decay && !(decay >= 0 && decay <= 1))
            throw new ArgumentException($"MLP EMA decay must be in [0, 1], got {decay}.");
        if (options.Threads is < 1) throw new ArgumentException($"MLP threads must be ≥ 1, got {options.Threads}.");
        _options = options;
        _progress = progress ?? SilentProgressReporter.Instance;
    }

    /// <summary>The options in effect.</summary>
    public MlpOptions Options => _options;

    /// <inheritdoc />
    /// <exception cref="SchemaMismatchException">The label or feature column is missing or not a float vector.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var label = inputSchema.RequireKind(_options.LabelColumn, nameof(MlpEstimator), ColumnKind.FloatTensor);
        inputSchema.RequireKind(_options.FeatureColumn, nameof(MlpEstimator), ColumnKind.FloatTensor);
        return inputSchema.WithCopy(label, _options.OutputColumn);
    }

    /// <inheritdoc />
    /// <exception cref="SchemaMismatchException">A column is missing or not a float vector.</exception>
    /// <exception cref="InvalidDataException">Too few rows, empty vectors, or NaN/infinite features or labels.</exception>
    public MlpTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var labelColumn = input.Schema.RequireKind(_options.LabelColumn, nameof(MlpEstimator), ColumnKind.FloatTensor);
        var featureColumn = input.Schema.RequireKind(_options.FeatureColumn, nameof(MlpEstimator), ColumnKind.FloatTensor);
        int d = featureColumn.Type.Size, k = labelColumn.Type.Size;
        if (d < 1 || k < 1) throw new InvalidDataException($"MLP needs non-empty feature and label vectors, got {d} features and {k} labels.");

        var (xs, ys) = Read(input, d, k);
        int n = xs.Length / d;
        if (n < 2) throw new InvalidDataException($"MLP needs at least 2 training rows, got {n}.");
        if (!xs.All(float.IsFinite)) throw new InvalidDataException($"MLP: column '{_options.FeatureColumn}' contains NaN or infinite values.");
        if (!ys.All(float.IsFinite)) throw new InvalidDataException($"MLP: column '{_options.LabelColumn}' contains NaN or infinite values.");

        if (_options.Threads is { } threads) TorchThreads.Set(threads);
        int seed = _options.Seed ?? 0;
        var random = new Random(seed);
        ulong initSeed = (ulong)random.NextInt64(), dropoutSeed = (ulong)random.NextInt64();

        // Seeded split: the first rows of a shuffled order validate, the rest train.
        var order = Enumerable.Range(0, n).ToArray();
        int validationCount = 0;
        if (_options.EarlyStoppingPatience > 0)
        {
            random.Shuffle(order);
            validationCount = Math.Clamp((int)Math.Round(n * _options.ValidationFraction), 1, n - 1);
        }
        var validationRows = order[..validationCount];
        var trainRows = order[validationCount..];
        Array.Sort(trainRows);       // the epoch shuffles below start from a canonical order

        var featureScaling = Standardization.Fit(xs, d, trainRows);
        var labelScaling = _options.StandardizeLabels ? Standardization.Fit(ys, k, trainRows) : Standardization.Identity(k);
        featureScaling.Apply(xs);
        labelScaling.Apply(ys);

        var hidden = _options.EffectiveHiddenSizes.ToArray();
        int stepsPerEpoch = (trainRows.Length + _options.BatchSize - 1) / _options.BatchSize;
        double emaDecay = _options.EmaDecay ?? Math.Clamp(1 - 10.0 / ((double)stepsPerEpoch * _options.Epochs), 0, 0.999);

        using var x = Tensor.FromArray(xs, [n, d]);
        using var y = Tensor.FromArray(ys, [n, k]);
        using var initGenerator = new Generator(initSeed);
        using var dropoutGenerator = new Generator(dropoutSeed);
        using var network = new MlpNetwork(d, hidden, k, _options.Activation, initGenerator, _options.Dropout, dropoutGenerator);
        var predictor = new MlpNetwork(d, hidden, k, _options.Activation, initGenerator);
        try
        {
            predictor.Eval();
            using var optimizer = new AdamW(network.Parameters(), _options.LearningRate, weightDecay: _options.WeightDecay);
            using var ema = new ExponentialMovingAverage(network, emaDecay);
            using var validationX = validationCount > 0 ? SelectRows(x, validationRows) : null;
            using var validationY = validationCount > 0 ? SelectRows(y, validationRows) : null;

            MemoryStream? best = null;
            double bestLoss = double.PositiveInfinity, trainLoss = double.NaN;
            int bestEpoch = 0, epochs = 0;
            using (var scope = _progress.Start("training MLP", _options.Epochs))
            {
                for (int epoch = 1; epoch <= _options.Epochs; epoch++)
                {
                    random.Shuffle(trainRows);
                    double sum = 0;
                    for (int start = 0; start < trainRows.Length; start += _options.BatchSize)
                    {
                        using var step = Tensor.NewScope();
                        int m = Math.Min(_options.BatchSize, trainRows.Length - start);
                        var index = Index(trainRows.AsSpan(start, m));
                        optimizer.ZeroGrad();
                        var loss = Tensor.MseLoss(network.Forward(x.IndexSelect(0, index)), y.IndexSelect(0, index));
                        loss.Backward();
                        optimizer.Step();
                        ema.Update();
                        sum += loss.Item() * m;
                    }
                    trainLoss = sum / trainRows.Length;
                    epochs = epoch;
                    string status = $"epoch {epoch}/{_options.Epochs} loss {trainLoss.ToString("0.0000", CultureInfo.InvariantCulture)}";
                    if (validationX is not null && validationY is not null)
                    {
                        ema.CopyTo(predictor);
                        double validationLoss = Loss(predictor, validationX, validationY);
                        status += $" validation {validationLoss.ToString("0.0000", CultureInfo.InvariantCulture)}";
                        if (validationLoss < bestLoss)
                        {
                            bestLoss = validationLoss;
                            bestEpoch = epoch;
                            best?.Dispose();
                            best = new MemoryStream();
                            ema.Save(best);
                        }
                    }
                    scope.SetStatus(status);
                    scope.Advance();
                    if (best is not null && epoch - bestEpoch >= _options.EarlyStoppingPatience) break;
                }
            }
            if (best is not null)
            {
                best.Position = 0;
                predictor.LoadStateDict(best);
                best.Dispose();
            }
            else
            {
                ema.CopyTo(predictor);
            }
            var summary = new MlpTrainingSummary(epochs, trainLoss, best is null ? null : bestEpoch, best is null ? null : bestLoss);
            return new MlpTransformer(_options with { Seed = seed }, d, k, labelColumn.SlotNames?.ToArray(), featureScaling, labelScaling, predictor, summary);
        }
        catch
        {
            predictor.Dispose();
            throw;
        }
    }

    private (float[] Features, float[] Labels) Read(IDataView input, int d, int k)
    {
        var xs = new List<float>();
        var ys = new List<float>();
        using var scope = _progress.Start("reading training features", input.GetRowCount());
        foreach (var batch in input.ReadBatches([_options.FeatureColumn, _options.LabelColumn], 256))
        {
            xs.AddRange(batch.GetFloats(_options.FeatureColumn));
            ys.AddRange(batch.GetFloats(_options.LabelColumn));
            scope.Advance(batch.RowCount);
        }
        if (xs.Count % d != 0 || ys.Count % k != 0 || xs.Count / d != ys.Count / k)
            throw new InvalidDataException($"MLP: {xs.Count} feature values and {ys.Count} label values do not form rows of {d} and {k}.");
        return (xs.ToArray(), ys.ToArray());
    }

    private static Tensor Index(ReadOnlySpan<int> rows)
    {
        var index = new long[rows.Length];
        for (int i = 0; i < rows.Length; i++) index[i] = rows[i];
        return Tensor.FromArray(index, [index.Length]);
    }

    private static Tensor SelectRows(Tensor t, int[] rows)
    {
        using var scope = Tensor.NewScope();
        return t.IndexSelect(0, Index(rows)).DetachFromDisposeScope();
    }

    private static double Loss(MlpNetwork network, Tensor x, Tensor y)
    {
        using var scope = Tensor.NewScope();
        using var noGrad = new NoGradScope();
        return Tensor.MseLoss(network.Forward(x), y).Item();
    }
}
