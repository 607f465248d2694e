using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MlNetStem.Data;
using MlNetStem.Pipeline;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;
using MlNetStem.Torch.Optim;
using MlNetStem.Trainers.Mlp;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// Stem (ICLR 2025): a conditional diffusion model over a spot's gene expression given its image embedding.
/// ε-prediction with learned-range variance and IDDPM's hybrid loss on a linear 1000-step schedule, a DiT over gene
/// tokens (or a residual MLP), AdamW, and an exponential moving average of the weights used for prediction.
/// Optional checkpoints make long runs resumable: <see cref="Fit"/> continues from the latest checkpoint in
/// <see cref="StemDiffusionOptions.CheckpointDirectory"/> and ends bit-identical to an uninterrupted run.
/// </summary>
public sealed class StemDiffusionEstimator : IEstimator<StemDiffusionTransformer>
{
    private readonly StemDiffusionOptions _options;
    private readonly IProgressReporter _progress;
    private readonly Func<int, StemDiffusionOptions>? _panelPreset;

    /// <summary>Creates the estimator.</summary>
    /// <exception cref="ArgumentException">A hyper-parameter or sampling option is out of range, or a column name is empty.</exception>
    public StemDiffusionEstimator(StemDiffusionOptions options, IProgressReporter? progress = null)
    {
        Validate(options);
        _options = options;
        _progress = progress ?? SilentProgressReporter.Instance;
    }

    /// <summary>
    /// Creates an estimator whose panel-dependent options (<see cref="StemDiffusionOptions.GeneBlockSize"/>,
    /// <see cref="StemDiffusionOptions.MeanPrior"/>) are taken at <see cref="Fit"/> from <paramref name="panelPreset"/> for
    /// the label's gene count (e.g. <see cref="StemDiffusionOptions.CpuFor(int)"/>): what the catalog does when no options are given.
    /// </summary>
    internal StemDiffusionEstimator(StemDiffusionOptions options, IProgressReporter? progress, Func<int, StemDiffusionOptions> panelPreset)
        : this(options, progress) => _panelPreset = panelPreset;

    /// <summary>The options in effect (for an estimator the catalog made without options, before <see cref="Fit"/> adapts
    /// the gene blocks and mean prior to the panel).</summary>
    public StemDiffusionOptions Options => _options;

    internal static void Validate(StemDiffusionOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentException.ThrowIfNullOrWhiteSpace(o.LabelColumn);
        ArgumentException.ThrowIfNullOrWhiteSpace(o.FeatureColumn);
        ArgumentException.ThrowIfNullOrWhiteSpace(o.OutputColumn);
        void Check(bool ok, string message)
        {
            if (!ok) throw new ArgumentException("StemDiffusion: " + message);
        }
        Check(o.Depth >= 1, $"depth must be ≥ 1, got {o.Depth}.");
        Check(o.HiddenSize >= 1, $"hidden size must be ≥ 1, got {o.HiddenSize}.");
        Check(o.Heads >= 1 && o.HiddenSize % o.Heads == 0, $"heads ({o.Heads}) must be ≥ 1 and divide the hidden size ({o.HiddenSize}).");
        Check(o.MlpRatio >= 1, $"MLP ratio must be ≥ 1, got {o.MlpRatio}.");
        Check(o.ResidualWidth is null or >= 1, $"residual width must be ≥ 1, got {o.ResidualWidth}.");
        Check(Enum.IsDefined(o.Denoiser), $"unknown denoiser {o.Denoiser}.");
        Check(o.DiffusionSteps is >= 2 and <= 100_000, $"diffusion steps must be in [2, 100000], got {o.DiffusionSteps}.");
        Check(o.LearningRate > 0 && double.IsFinite(o.LearningRate), $"learning rate must be positive and finite, got {o.LearningRate}.");
        Check(o.WeightDecay >= 0 && double.IsFinite(o.WeightDecay), $"weight decay must be ≥ 0, got {o.WeightDecay}.");
        Check(o.BatchSize >= 1, $"batch size must be ≥ 1, got {o.BatchSize}.");
        Check(o.Epochs >= 1, $"epochs must be ≥ 1, got {o.Epochs}.");
        Check(o.EmaDecay is null || (o.EmaDecay >= 0 && o.EmaDecay <= 1), $"EMA decay must be in [0, 1], got {o.EmaDecay}.");
        Check(o.Threads is null or >= 1, $"threads must be ≥ 1, got {o.Threads}.");
        Check(o.Workers is null or >= 1, $"workers must be ≥ 1, got {o.Workers}.");
        Check(Enum.IsDefined(o.MeanPrior), $"unknown mean prior {o.MeanPrior}.");
        Check(o.PriorFolds >= 2, $"prior folds must be ≥ 2, got {o.PriorFolds}.");
        Check(o.CheckpointEvery >= 1, $"checkpoint interval must be ≥ 1 epoch, got {o.CheckpointEvery}.");
        Check(o.CheckpointDirectory is null || !string.IsNullOrWhiteSpace(o.CheckpointDirectory), "the checkpoint directory must not be blank.");
        Check(Enum.IsDefined(o.Sampler), $"unknown sampler {o.Sampler}.");
        Check(o.Draws >= 1, $"draws must be ≥ 1, got {o.Draws}.");
        int minSteps = o.Sampler == DiffusionSampler.DpmSolver2M ? 2 : 1;
        Check(o.Steps is null || (o.Steps >= minSteps && o.Steps <= o.DiffusionSteps),
            $"{o.Sampler} steps must be in [{minSteps}, {o.DiffusionSteps}], got {o.Steps}.");
        Check(o.Eta >= 0 && double.IsFinite(o.Eta), $"eta must be ≥ 0, got {o.Eta}.");
        Check(o.PredictionBatchSpots >= 1, $"prediction batch must be ≥ 1 spot, got {o.PredictionBatchSpots}.");
        var levels = o.EffectiveIntervalLevels;
        Check(levels.All(l => l > 0 && l < 1), $"interval levels must be in (0, 1), got [{string.Join(", ", levels)}].");
        Check(levels.Select(StemDiffusionTransformer.LevelSuffix).Distinct().Count() == levels.Count, "interval levels must differ in whole percent.");
        Check(o.CalibrationFraction is >= 0 and <= 0.5, $"the calibration fraction must be in [0, 0.5], got {o.CalibrationFraction}.");
        var contexts = o.ContextColumns ?? [];
        Check(contexts.All(c => !string.IsNullOrWhiteSpace(c)), "context column names must not be blank.");
        Check(contexts.Distinct(StringComparer.Ordinal).Count() == contexts.Count && !contexts.Contains(o.FeatureColumn, StringComparer.Ordinal),
            "context columns must differ from each other and from the feature column.");
        Check(o.GeneBlockSize is null or >= 1, $"the gene block size must be ≥ 1, got {o.GeneBlockSize}.");
        Check(o.ContextHeads >= 1, $"context attention heads must be ≥ 1, got {o.ContextHeads}.");
        Check(o.ContextAttentionWidth is null || (o.ContextAttentionWidth >= 1 && o.ContextAttentionWidth % o.ContextHeads == 0),
            $"the context attention width ({o.ContextAttentionWidth}) must be a positive multiple of the heads ({o.ContextHeads}).");
    }

    /// <inheritdoc />
    /// <exception cref="SchemaMismatchException">The label or feature column is missing or not a float tensor.</exception>
    /// <remarks>A Microsoft.ML <see cref="SchemaShape"/> keeps no tensor shapes: the feature and label dimensions are checked by
    /// <see cref="Fit"/> and by the fitted transformer.</remarks>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var label = inputSchema.RequireKind(_options.LabelColumn, nameof(StemDiffusionEstimator), ColumnKind.FloatTensor);
        inputSchema.RequireKind(_options.FeatureColumn, nameof(StemDiffusionEstimator), ColumnKind.FloatTensor);
        foreach (string context in _options.ContextColumns ?? [])
        {
            inputSchema.RequireKind(context, nameof(StemDiffusionEstimator), ColumnKind.FloatTensor);
            inputSchema.RequireKind(ConditionLayout.MaskColumn(context), nameof(StemDiffusionEstimator), ColumnKind.FloatTensor);
        }
        if (label.Kind != SchemaShape.Column.VectorKind.Vector)
            return inputSchema.WithCopy(label, _options.OutputColumn);
        // Any known gene count gives the shapes of the fitted sizes (shapes keep no sizes).
        var shape = inputSchema;
        foreach (var c in StemDiffusionTransformer.OutputColumns(_options, 1, null))
            shape = shape.With(c.Name, c.Type, c.Name == _options.OutputColumn && label.HasSlotNames());
        return shape;
    }

    /// <summary>The label and feature columns of <paramref name="schema"/>, checked for kind and tensor shape.</summary>
    /// <exception cref="SchemaMismatchException">A column is missing or has the wrong type.</exception>
    private (DataViewSchema.Column Label, DataViewSchema.Column Features) CheckColumns(DataViewSchema schema)
    {
        var label = schema.RequireKind(_options.LabelColumn, nameof(StemDiffusionEstimator), ColumnKind.FloatTensor);
        var features = schema.RequireKind(_options.FeatureColumn, nameof(StemDiffusionEstimator), ColumnKind.FloatTensor);
        if (features.Type.Dimensions.Count > 2)
            throw new SchemaMismatchException(_options.FeatureColumn, "a float vector [D] or views × features [A, D]", features.Type.ToString(), nameof(StemDiffusionEstimator));
        if (label.Type.Dimensions.Count > 1)
            throw new SchemaMismatchException(_options.LabelColumn, "a float vector of genes", label.Type.ToString(), nameof(StemDiffusionEstimator));
        if (_options.HasContext && features.Type.Dimensions.Count != 1)
            throw new SchemaMismatchException(_options.FeatureColumn, "one embedding [D] (HisDiff takes no augmented views; select view 0 first)",
                features.Type.ToString(), nameof(StemDiffusionEstimator));
        return (label, features);
    }

    /// <summary>The condition layout of <paramref name="schema"/>'s columns: embedding width D and, for HisDiff, the k of every
    /// context column, which must be <c>[k, D]</c> with a <c>[k]</c> mask.</summary>
    /// <exception cref="SchemaMismatchException">A context or mask column has the wrong shape.</exception>
    internal static ConditionLayout Layout(StemDiffusionOptions options, DataViewSchema schema, int embedding, string component)
    {
        var sizes = new List<int>();
        foreach (string name in options.ContextColumns ?? [])
        {
            var context = schema.RequireKind(name, component, ColumnKind.FloatTensor);
            var dims = context.Type.Dimensions;
            if (dims.Count != 2 || dims[1] != embedding || dims[0] < 1)
                throw new SchemaMismatchException(name, $"a context of k spots × {embedding} features [k, {embedding}] (NeighbourContext without pooling)",
                    context.Type.ToString(), component);
            var mask = schema.RequireKind(ConditionLayout.MaskColumn(name), component, ColumnKind.FloatTensor);
            if (mask.Type.Dimensions.Count != 1 || mask.Type.Size != dims[0])
                throw new SchemaMismatchException(mask.Name, $"the context's mask [{dims[0]}]", mask.Type.ToString(), component);
            sizes.Add(dims[0]);
        }
        return new ConditionLayout(embedding, sizes);
    }

    /// <inheritdoc />
    /// <exception cref="SchemaMismatchException">A column is missing or has the wrong type.</exception>
    /// <exception cref="InvalidDataException">Fewer than 2 rows, or NaN/infinite features or labels; a checkpoint is unreadable
    /// or belongs to a different run.</exception>
    public StemDiffusionTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (labelColumn, featureColumn) = CheckColumns(input.Schema);
        var dims = featureColumn.Type.Dimensions;
        int views = dims.Count == 2 ? dims[0] : 1, d = dims.Count == 0 ? 0 : dims[^1], g = labelColumn.Type.Size;
        if (d < 1 || g < 1) throw new InvalidDataException($"StemDiffusion needs non-empty feature and label vectors, got {d} features and {g} genes.");
        if (_panelPreset is not null)
        {
            var preset = _panelPreset(g);
            return new StemDiffusionEstimator(_options with { GeneBlockSize = preset.GeneBlockSize, MeanPrior = preset.MeanPrior }, _progress).Fit(input);
        }

        var layout = Layout(_options, input.Schema, d, nameof(StemDiffusionEstimator));
        var (own, conditions, ys) = Read(input, layout, views, g);
        int n = ys.Length / g;
        if (n < 2) throw new InvalidDataException($"StemDiffusion needs at least 2 training rows, got {n}.");
        if (!own.All(float.IsFinite)) throw new InvalidDataException($"StemDiffusion: column '{_options.FeatureColumn}' contains NaN or infinite values.");
        if (!ys.All(float.IsFinite)) throw new InvalidDataException($"StemDiffusion: column '{_options.LabelColumn}' contains NaN or infinite values.");

        if (_options.Threads is { } threads) TorchThreads.Set(threads);
        int seed = _options.Seed ?? 0;
        var allViews = Enumerable.Range(0, n * views).ToArray();
        // HisDiff's context slots are embeddings of the same kind as the spot's own: they share its statistics.
        var featureScaling = layout.Tile(_options.StandardizeFeatures ? Standardization.Fit(own, d, allViews) : Standardization.Identity(d));
        var xs = conditions ?? own;
        int c = layout.Width;
        // Unscaled copies for interval calibration (its held-out spots are sampled and scored like new data).
        var rawConditions = _options.CalibrationFraction > 0 ? (float[])xs.Clone() : [];
        var rawLabels = _options.CalibrationFraction > 0 ? (float[])ys.Clone() : [];
        var labelScaling = _options.StandardizeLabels ? Standardization.Fit(ys, g, Enumerable.Range(0, n).ToArray()) : Standardization.Identity(g);
        var (labelMin, labelMax) = Range(ys, g);
        featureScaling.Apply(xs);
        labelScaling.Apply(ys);
        IReadOnlyDictionary<string, double>? scales = null;
        if (_options.CalibrationFraction > 0)
            scales = Calibrate(rawConditions, rawLabels, xs, ys, n, views, layout, g, seed, labelColumn.SlotNames?.ToArray(),
                featureScaling, labelScaling, labelMin, labelMax);
        var (predictor, prior, summary) = Train(xs, ys, n, views, layout, g, seed, _options.CheckpointDirectory,
            _options.HasContext ? "training HisDiff diffusion" : "training Stem diffusion");
        return new StemDiffusionTransformer(_options with { Seed = seed }, views, layout, g, labelColumn.SlotNames?.ToArray(),
            featureScaling, labelScaling, labelMin, labelMax, prior, predictor, summary, scales);
    }

    /// <summary>
    /// Split-conformal scale of each interval level: a model trained on the other rows samples a held-out contiguous block
    /// of <see cref="StemDiffusionOptions.CalibrationFraction"/> of the training rows (contiguous rows of a section are
    /// neighbours, so the block is tissue the model did not see, closer to a new section than random spots); the scale
    /// s_L is the ⌈(m + 1)·L⌉-th smallest |y − c| / h over the block's spots and genes, c and h the centre and half-width of
    /// the raw level-L interval. Intervals are then c ± s_L·h.
    /// </summary>
    private Dictionary<string, double>? Calibrate(float[] rawConditions, float[] rawLabels, float[] xs, float[] ys, int n, int views,
        ConditionLayout layout, int g, int seed, string[]? genes, Standardization featureScaling, Standardization labelScaling,
        float[] labelMin, float[] labelMax)
    {
        int held = (int)Math.Ceiling(n * _options.CalibrationFraction), kept = n - held;
        if (held < 5 || kept < 2) return null;   // too few spots to calibrate or to train on: intervals stay raw
        int c = layout.Width;
        var (predictor, prior, summary) = Train(xs[..(kept * views * c)], ys[..(kept * g)], kept, views, layout, g, seed, null,
            $"calibrating intervals (a model on {kept} spots, {held} held out)");
        using var model = new StemDiffusionTransformer(_options with { Seed = seed }, views, layout, g, genes, featureScaling, labelScaling,
            labelMin, labelMax, prior, predictor, summary);
        var heldConditions = new float[held * c];
        for (int r = 0; r < held; r++)
            rawConditions.AsSpan((kept + r) * views * c, c).CopyTo(heldConditions.AsSpan(r * c));
        var draws = model.Sample(heldConditions, held, kept, model.Options);
        var summaries = model.Summarize(draws, held, model.Options, applyCalibration: false);
        var scales = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (double level in _options.EffectiveIntervalLevels)
        {
            string suffix = StemDiffusionTransformer.LevelSuffix(level);
            var lower = (float[])summaries[_options.OutputColumn + "Lower" + suffix];
            var upper = (float[])summaries[_options.OutputColumn + "Upper" + suffix];
            var scores = new double[held * g];
            for (int i = 0; i < scores.Length; i++)
            {
                double centre = 0.5 * (lower[i] + upper[i]), half = Math.Max(0.5 * (upper[i] - lower[i]), 1e-6);
                scores[i] = Math.Abs(rawLabels[kept * g + i] - centre) / half;
            }
            Array.Sort(scores);
            int rank = Math.Min(scores.Length, (int)Math.Ceiling((scores.Length + 1) * level)) - 1;
            scales[suffix] = Math.Max(scores[rank], 1e-3);
        }
        return scales;
    }

    /// <summary>Trains a denoiser on the (standardized) rows; with a mean prior, fits it on the same rows first.</summary>
    private (Module Predictor, RidgePrior? Prior, StemDiffusionTrainingSummary Summary) Train(float[] xs, float[] ys, int n, int views,
        ConditionLayout layout, int g, int seed, string? checkpointDirectory, string label)
    {
        int c = layout.Width;
        RidgePrior? prior = null;
        float[]? priorMeans = null;
        if (_options.MeanPrior == MeanPrior.Ridge)
        {
            using var priorScope = _progress.Start($"fitting the ridge mean prior ({_options.PriorFolds}-fold cross-fitted)", 1);
            (prior, priorMeans) = RidgePrior.Fit(xs, ys, n, views, c, g, _options.PriorFolds, seed);
            priorScope.Advance();
        }

        // An epoch visits every spot once with one random view, or (Stem's recipe) every view of every spot.
        int items = _options.AllViewsPerEpoch ? n * views : n;
        if (_options.DropLastBatch && items < _options.BatchSize)
            throw new InvalidDataException($"StemDiffusion: {items} training rows per epoch are fewer than one batch of {_options.BatchSize}, and DropLastBatch would train on none.");
        int stepsPerEpoch = _options.DropLastBatch ? items / _options.BatchSize : (items + _options.BatchSize - 1) / _options.BatchSize;
        double emaDecay = _options.EmaDecay ?? Math.Clamp(1 - 10.0 / ((double)stepsPerEpoch * _options.Epochs), 0, 0.999);
        string fingerprint = Fingerprint(n, views, c, g, seed, emaDecay);

        using var x = Tensor.FromArray(xs, [(long)n * views, c]);
        using var y = Tensor.FromArray(ys, [n, g]);
        // With a mean prior the diffusion learns residuals: label minus the out-of-fold prior mean of the drawn view.
        using var priorMean = priorMeans is null ? null : Tensor.FromArray(priorMeans, [(long)n * views, g]);
        using var diffusion = new GaussianDiffusion(_options.DiffusionSteps);
        Module network, predictor;
        using (var init = new Generator(SeedMixer.Mix(seed, 0, 0)))
            network = CreateDenoiser(_options, g, layout, init);
        using (var init = new Generator(SeedMixer.Mix(seed, 0, 0)))
            predictor = CreateDenoiser(_options, g, layout, init);
        try
        {
            using var _ = network;
            predictor.Eval();
            using var optimizer = new AdamW(network.Parameters(), _options.LearningRate, weightDecay: _options.WeightDecay);
            using var ema = new ExponentialMovingAverage(network, emaDecay);
            int start = 0;
            int? resumed = null;
            if (checkpointDirectory is { } directory && TrainingCheckpoint.FindLatest(directory) is { } latest)
            {
                var checkpoint = TrainingCheckpoint.Read(latest);
                if (checkpoint.Fingerprint != fingerprint)
                    throw new InvalidDataException($"StemDiffusion: checkpoint '{latest}' belongs to a different run (options, seed or data differ); " +
                        "use another checkpoint directory or delete it.");
                network.LoadStateDict(new MemoryStream(checkpoint.Model));
                ema.Load(new MemoryStream(checkpoint.Ema));
                optimizer.LoadState(new MemoryStream(checkpoint.Optimizer));
                start = Math.Min(checkpoint.Epoch, _options.Epochs);
                resumed = checkpoint.Epoch;
            }

            double lastLoss = double.NaN;
            var denoiser = (IDenoiser)network;
            var parameters = network.Parameters().ToArray();
            int workers = _options.EffectiveWorkers;
            var watch = Stopwatch.StartNew();
            using (var scope = _progress.Start(label, _options.Epochs))
            {
                if (start > 0) scope.Advance(start);
                for (int epoch = start + 1; epoch <= _options.Epochs; epoch++)
                {
                    // Every epoch's randomness comes from (seed, epoch) alone, so a resumed run repeats it exactly.
                    var random = new Random((int)(SeedMixer.Mix(seed, epoch, 1) & int.MaxValue));
                    using var generator = new Generator(SeedMixer.Mix(seed, epoch, 2));
                    var order = Enumerable.Range(0, items).ToArray();
                    random.Shuffle(order);
                    double sum = 0;
                    int trained = 0;
                    for (int first = 0; first < items; first += _options.BatchSize)
                    {
                        int m = Math.Min(_options.BatchSize, items - first);
                        if (m < _options.BatchSize && _options.DropLastBatch) break;   // Stem's DataLoader(drop_last=True)
                        using var step = Tensor.NewScope();
                        var rows = new long[m];
                        var conditionRows = new long[m];
                        for (int i = 0; i < m; i++)
                        {
                            if (_options.AllViewsPerEpoch)
                            {
                                conditionRows[i] = order[first + i];
                                rows[i] = conditionRows[i] / views;
                                continue;
                            }
                            rows[i] = order[first + i];
                            conditionRows[i] = rows[i] * views + (views > 1 ? random.Next(views) : 0);
                        }
                        var x0 = y.IndexSelect(0, Tensor.FromArray(rows, [m]));
                        var conditionIndex = Tensor.FromArray(conditionRows, [m]);
                        var condition = x.IndexSelect(0, conditionIndex);
                        if (priorMean is not null) x0 = x0 - priorMean.IndexSelect(0, conditionIndex);
                        var t = Tensor.RandInt(0, _options.DiffusionSteps, [m], generator);
                        var noise = Tensor.RandN([m, g], generator);
                        optimizer.ZeroGrad();
                        // Shards of the batch are differentiated on parallel threads; each shard's mean loss is weighted by
                        // its share so the summed gradient is the whole batch's.
                        var shards = ShardedGradient.Split(m, workers);
                        double loss = ShardedGradient.Backward(parameters, shards.Length, k =>
                        {
                            var (start, length) = shards[k];
                            Tensor Rows(Tensor all) => shards.Length == 1 ? all : all.Narrow(0, start, length);
                            var shardLoss = diffusion.TrainingLoss(denoiser, Rows(x0), Rows(condition), Rows(t), Rows(noise));
                            return shards.Length == 1 ? shardLoss : shardLoss * ((double)length / m);
                        });
                        optimizer.Step();
                        ema.Update();
                        sum += loss * m;
                        trained += m;
                    }
                    lastLoss = sum / trained;
                    if (checkpointDirectory is { } dir && (epoch % _options.CheckpointEvery == 0 || epoch == _options.Epochs))
                        new TrainingCheckpoint(epoch, fingerprint, Save(network.SaveStateDict), Save(ema.Save), Save(optimizer.SaveState)).Write(dir);
                    double perEpoch = watch.Elapsed.TotalSeconds / (epoch - start);
                    var eta = TimeSpan.FromSeconds(Math.Round(perEpoch * (_options.Epochs - epoch)));
                    scope.SetStatus(string.Create(CultureInfo.InvariantCulture,
                        $"epoch {epoch}/{_options.Epochs} loss {lastLoss:0.0000} ETA {eta:hh\\:mm\\:ss}"));
                    scope.Advance();
                }
            }
            ema.CopyTo(predictor);
            return (predictor, prior, new StemDiffusionTrainingSummary(_options.Epochs, lastLoss, resumed, emaDecay, network.ParameterCount));
        }
        catch
        {
            predictor.Dispose();
            throw;
        }
    }

    private static (float[] Min, float[] Max) Range(float[] labels, int g)
    {
        var min = Enumerable.Repeat(float.PositiveInfinity, g).ToArray();
        var max = Enumerable.Repeat(float.NegativeInfinity, g).ToArray();
        for (int i = 0; i < labels.Length; i++)
        {
            min[i % g] = Math.Min(min[i % g], labels[i]);
            max[i % g] = Math.Max(max[i % g], labels[i]);
        }
        return (min, max);
    }

    private static byte[] Save(Action<Stream> write)
    {
        using var memory = new MemoryStream();
        write(memory);
        return memory.ToArray();
    }

    private string Fingerprint(int rows, int views, int d, int g, int seed, double emaDecay)
    {
        var relevant = _options with
        {
            Seed = seed, Epochs = 0, CheckpointDirectory = null, CheckpointEvery = 1, Threads = null, Workers = null, Sampler = DiffusionSampler.Ddpm,
            Steps = null, Eta = 0, Draws = 1, AntitheticDraws = false, PredictionSeed = 0, OutputDraws = false, IntervalLevels = null, PredictionBatchSpots = 1, ClipDenoised = true,
            OutputColumn = "-", EmaDecay = emaDecay, CalibrationFraction = 0,
        };
        return JsonSerializer.Serialize(new { Options = relevant, Rows = rows, Views = views, Features = d, Genes = g });
    }

    /// <summary>Creates the configured denoiser; it is both a <see cref="Module"/> and an <see cref="IDenoiser"/>. With context
    /// sets (HisDiff) its condition network is the <see cref="ContextFusion"/> of the layout's parts.</summary>
    internal static Module CreateDenoiser(StemDiffusionOptions o, int genes, ConditionLayout layout, Generator generator)
    {
        Func<TensorModule>? fusion = layout.HasContext
            ? () => new ContextFusion(layout, o.ContextHeads, o.EffectiveContextAttentionWidth(layout.Embedding), o.HiddenSize, generator)
            : null;
        Module Create(int count) => o.Denoiser switch
        {
            DenoiserKind.Dit => new StemDit(count, layout.Width, o.HiddenSize, o.Depth, o.Heads, o.MlpRatio, generator, fusion, o.PaperInitialization),
            DenoiserKind.ResidualMlp => new ResidualMlpDenoiser(count, layout.Width, o.HiddenSize, o.EffectiveResidualWidth, o.Depth, generator, fusion,
                o.PaperInitialization),
            _ => throw new ArgumentOutOfRangeException(nameof(o), o.Denoiser, "Unknown denoiser."),
        };
        return o.GeneBlockSize is { } block && block < genes ? new GeneBlockDenoiser(genes, layout.Width, block, Create) : Create(genes);
    }

    /// <summary>The training rows: the feature column [rows · views, D], HisDiff's assembled condition rows [rows, C] (null
    /// without context columns), and the labels [rows, G].</summary>
    private (float[] Features, float[]? Conditions, float[] Labels) Read(IDataView input, ConditionLayout layout, int views, int g)
    {
        var xs = new List<float>();
        var conditions = layout.HasContext ? new List<float>() : null;
        var ys = new List<float>();
        var contexts = _options.ContextColumns ?? [];
        int width = views * layout.Embedding;
        using var scope = _progress.Start("reading training features", input.GetRowCount());
        string[] columns = [_options.FeatureColumn, _options.LabelColumn, .. contexts, .. contexts.Select(ConditionLayout.MaskColumn)];
        foreach (var batch in input.ReadBatches(columns, 256))
        {
            var features = batch.GetFloats(_options.FeatureColumn);
            if (conditions is not null)
            {
                var (values, masks) = ConditionLayout.Read(batch, contexts);
                conditions.AddRange(layout.Assemble(batch.RowCount, features, values, masks, contexts, ys.Count / g));
            }
            xs.AddRange(features);
            ys.AddRange(batch.GetFloats(_options.LabelColumn));
            scope.Advance(batch.RowCount);
        }
        if (xs.Count % width != 0 || ys.Count % g != 0 || xs.Count / width != ys.Count / g)
            throw new InvalidDataException($"StemDiffusion: {xs.Count} feature values and {ys.Count} label values do not form rows of {width} and {g}.");
        return (xs.ToArray(), conditions?.ToArray(), ys.ToArray());
    }
}
