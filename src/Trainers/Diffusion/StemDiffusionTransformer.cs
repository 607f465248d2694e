using System.Globalization;
using System.Text.Json.Serialization;
using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;
using MlNetStem.Trainers.Mlp;
using MlNetStem.Trainers.Ridge;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// A fitted Stem diffusion model. For each spot it draws <see cref="StemDiffusionOptions.Draws"/> samples from the
/// (EMA-averaged) denoiser with the configured sampler, all draws of a group of spots in one batch, and outputs:
/// <c>{Output}</c> the mean of the draws (the prediction, with the genes as slot names), <c>{Output}Std</c> their per-gene
/// standard deviation, optionally <c>{Output}Draws</c> [draws, genes], and for every interval level L the central quantile
/// interval <c>{Output}Lower{P}</c>/<c>{Output}Upper{P}</c> (P = 100·L; the first level is also <c>{Output}Lower</c>/<c>Upper</c>).
/// A spot's draws depend only on the prediction seed, its row index and its features, so predictions are reproducible
/// and independent of batching. Owns native memory: dispose it when done.
/// </summary>
[ModelComponent("StemDiffusion", 1)]
public sealed class StemDiffusionTransformer : ArchivableTransformer, IOnnxExportableTransformer, IDisposable
{
    private const string ComponentName = "StemDiffusion";
    private readonly string[]? _genes;
    private readonly Standardization _featureScaling;
    private readonly Standardization _labelScaling;
    private readonly float[] _labelMin;
    private readonly float[] _labelMax;

    /// <summary>
    /// The whole sampler as one ONNX file with this model's sampling options (see
    /// <see cref="Export.StemOnnxExporter.ExportSampler(StemDiffusionTransformer, Export.StemOnnxSamplerOptions?)"/>).
    /// </summary>
    public byte[] ExportOnnx() => Export.StemOnnxExporter.ExportSampler(this);

    /// <summary>
    /// Saves into an ML.NET model as a stock <c>OnnxTransformer</c> over the exported sampler (in-graph noise, the model's
    /// sampler, steps and draws), with every output column of <see cref="Transform"/>: the mean, the standard deviation,
    /// the draws when <see cref="StemDiffusionOptions.OutputDraws"/> is set, and the interval columns (quantiles of the
    /// draws, computed in the graph). The features are one view [D]. The graph derives each spot's noise from the prediction
    /// seed and the spot's own condition values, so the stock model repeats its values exactly in any session, batch and
    /// row order; they agree with in-process prediction (another noise stream) statistically, not bit for bit.
    /// </summary>
    protected override void SaveAsStock(ModelSaveContext ctx)
    {
        var o = Options;
        var levels = o.EffectiveIntervalLevels;
        byte[] onnx = Export.StemOnnxExporter.ExportSampler(this, new Export.StemOnnxSamplerOptions(IntervalLevels: levels));
        var outputs = new List<(string, string)>
        {
            (Export.StemOnnxExporter.ExpressionOutput, o.OutputColumn),
            (Export.StemOnnxExporter.StdOutput, o.OutputColumn + "Std"),
        };
        if (o.OutputDraws) outputs.Add((Export.StemOnnxExporter.DrawsOutput, o.OutputColumn + "Draws"));
        foreach (double level in levels)
        {
            outputs.Add((Export.StemOnnxExporter.LowerOutput(level), o.OutputColumn + "Lower" + LevelSuffix(level)));
            outputs.Add((Export.StemOnnxExporter.UpperOutput(level), o.OutputColumn + "Upper" + LevelSuffix(level)));
        }
        var aliases = levels.Count == 0 ? [] : new List<(string, string)>
        {
            (o.OutputColumn + "Lower", o.OutputColumn + "Lower" + LevelSuffix(levels[0])),
            (o.OutputColumn + "Upper", o.OutputColumn + "Upper" + LevelSuffix(levels[0])),
        };
        var inputs = new List<(string, DataViewSchema.DetachedColumn)>
        {
            (Export.StemOnnxExporter.EmbeddingInput, SchemaColumns.Create(o.FeatureColumn, ColumnTypes.FloatTensor(FeatureCount))),
        };
        for (int set = 0; set < Layout.ContextSizes.Length; set++)
        {
            string name = o.ContextColumns![set];
            int k = Layout.ContextSizes[set];
            inputs.Add((Export.StemOnnxExporter.ContextInput(set), SchemaColumns.Create(name, ColumnTypes.FloatTensor(k, FeatureCount))));
            inputs.Add((Export.StemOnnxExporter.ContextMaskInput(set), SchemaColumns.Create(ConditionLayout.MaskColumn(name), ColumnTypes.FloatTensor(k))));
        }
        OnnxStockSaver.Save(ctx, onnx, inputs, outputs, aliases);
    }

    /// <summary>
    /// Bound on the standardized condition (in training standard deviations) the denoiser is given, in process and in the
    /// exported sampler: features far outside the training range (an all-zero or noise embedding, a feature nearly constant
    /// in training) are clamped to it, which keeps every draw finite. In-distribution features are far inside it.
    /// </summary>
    public const float ConditionLimit = 100f;

    /// <summary>
    /// Bytes a prediction batch needs with <paramref name="options"/> (this model's sampling options when null): the draws of
    /// the spots a cursor reads at once (<see cref="StemDiffusionOptions.PredictionBatchSpots"/> × workers × draws × genes
    /// floats, held twice: libtorch's output and the draws array), the summaries, and each worker's libtorch working set
    /// (spots × draws rows of the denoiser's activations). Computed with checked arithmetic: <see cref="long.MaxValue"/> when
    /// it overflows. Callers compare it with a memory limit before predicting.
    /// </summary>
    public long PredictionBatchBytes(StemDiffusionOptions? options = null)
    {
        var o = options ?? Options;
        try
        {
            checked
            {
                long groupSpots = o.PredictionBatchSpots, workers = o.EffectiveWorkers, g = GeneCount, k = o.Draws;
                long batchSpots = groupSpots * workers;
                long draws = batchSpots * k * g * sizeof(float) * 2;
                long summaries = batchSpots * g * sizeof(float) * (2 + 2 * (o.EffectiveIntervalLevels.Count + 1)) + k * sizeof(double);
                long width = Math.Max((long)o.HiddenSize * o.MlpRatio, o.EffectiveResidualWidth);
                // Per denoised row: x, noise, ε, v, x0, mean and the step's temporaries over genes; the expanded condition
                // and its embedding; the hidden activations of the blocks kept alive by the step scope. Calibrated on the
                // CPU preset (50 genes, 1,000 draws: 2.8 GB measured peak for sampling, this estimate 2.5 GB + the draws).
                long perRow = (24 * g + 2L * ConditionWidth + 8L * o.HiddenSize + 12 * width) * sizeof(float);
                long torch = workers * groupSpots * k * perRow;
                return draws + summaries + torch;
            }
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>Hard ceiling of <see cref="PredictionBatchBytes"/> (8 GiB), whatever the caller's budget: beyond it the draws
    /// array alone would pass the largest array .NET allocates.</summary>
    public const long MaxPredictionBatchBytes = 8L << 30;

    /// <summary>Bytes as "1.2 GiB" / "512 MiB".</summary>
    internal static string FormatBytes(long bytes) => bytes == long.MaxValue
        ? "more than 8 EiB"
        : bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.#} GiB" : $"{bytes / (double)(1L << 20):0.#} MiB";

    /// <summary>Feature standardization learned at training (read by the ONNX exporter).</summary>
    internal Standardization FeatureScaling => _featureScaling;

    /// <summary>Label standardization learned at training (read by the ONNX exporter).</summary>
    internal Standardization LabelScaling => _labelScaling;

    /// <summary>Per-gene training minimum, the basis of the clip bounds.</summary>
    internal float[] LabelMin => _labelMin;

    /// <summary>Per-gene training maximum, the basis of the clip bounds.</summary>
    internal float[] LabelMax => _labelMax;
    private readonly Module _network;
    private readonly NetworkOwners _owners;
    private readonly GaussianDiffusion _diffusion;
    private bool _disposed;

    /// <summary>The ridge mean the diffusion is centred on (<see cref="MeanPrior.Ridge"/>), or null.</summary>
    internal RidgePrior? Prior { get; }

    internal StemDiffusionTransformer(StemDiffusionOptions options, int views, ConditionLayout layout, int geneCount, string[]? genes,
        Standardization featureScaling, Standardization labelScaling, float[] labelMin, float[] labelMax, RidgePrior? prior, Module network,
        StemDiffusionTrainingSummary summary, IReadOnlyDictionary<string, double>? intervalScales = null)
    {
        int featureCount = layout.Width;
        if (intervalScales is not null && intervalScales.Values.Any(v => !(v > 0) || !double.IsFinite(v)))
            throw new ArgumentException("Interval calibration scales must be positive numbers.");
        if (layout.ContextSizes.Length != (options.ContextColumns?.Count ?? 0))
            throw new ArgumentException($"{layout.ContextSizes.Length} context sizes for {options.ContextColumns?.Count ?? 0} context columns.");
        if (prior is not null && (prior.Ridge.Features != featureCount || prior.Ridge.Outputs != geneCount
            || prior.ResidualMin.Length != geneCount || prior.ResidualMax.Length != geneCount))
            throw new ArgumentException($"The mean prior maps {prior.Ridge.Features} features to {prior.Ridge.Outputs} genes, expected {featureCount} → {geneCount}.");
        if (labelMin.Length != geneCount || labelMax.Length != geneCount)
            throw new ArgumentException($"Label ranges of {labelMin.Length}/{labelMax.Length} values for {geneCount} genes.");
        if (genes is not null && genes.Length != geneCount) throw new ArgumentException($"{genes.Length} gene names for {geneCount} genes.");
        if (featureScaling.Width != featureCount || labelScaling.Width != geneCount)
            throw new ArgumentException($"Standardization widths {featureScaling.Width}/{labelScaling.Width} do not match {featureCount} condition values/{geneCount} genes.");
        Options = options;
        Views = views;
        Layout = layout;
        GeneCount = geneCount;
        _genes = genes;
        _featureScaling = featureScaling;
        _labelScaling = labelScaling;
        _labelMin = labelMin;
        _labelMax = labelMax;
        Prior = prior;
        _network = network;
        _owners = new NetworkOwners(network);
        _diffusion = new GaussianDiffusion(options.DiffusionSteps);
        Summary = summary;
        IntervalScales = intervalScales;
    }

    /// <summary>A copy of <paramref name="source"/> with other sampling options, sharing its trained network.</summary>
    private StemDiffusionTransformer(StemDiffusionTransformer source, StemDiffusionOptions options)
    {
        source._owners.Add();
        Options = options;
        Views = source.Views;
        Layout = source.Layout;
        GeneCount = source.GeneCount;
        _genes = source._genes;
        _featureScaling = source._featureScaling;
        _labelScaling = source._labelScaling;
        _labelMin = source._labelMin;
        _labelMax = source._labelMax;
        Prior = source.Prior;
        _network = source._network;
        _owners = source._owners;
        _diffusion = new GaussianDiffusion(options.DiffusionSteps);
        Summary = source.Summary;
        IntervalScales = source.IntervalScales;
    }

    /// <summary>Training and sampling options (seed filled in).</summary>
    public StemDiffusionOptions Options { get; }

    /// <summary>Augmented views per row the model was trained with (1 for a plain vector).</summary>
    public int Views { get; }

    /// <summary>Embedding width D.</summary>
    public int FeatureCount => Layout.Embedding;

    /// <summary>k of each HisDiff context column (<see cref="StemDiffusionOptions.ContextColumns"/>); empty for Stem.</summary>
    public IReadOnlyList<int> ContextSizes => Layout.ContextSizes;

    /// <summary>How the condition rows are laid out (embedding, context sets, masks).</summary>
    internal ConditionLayout Layout { get; }

    /// <summary>Values per condition row: D for Stem, the embedding, every context slot and the masks for HisDiff.</summary>
    internal int ConditionWidth => Layout.Width;

    /// <summary>Number of predicted genes.</summary>
    public int GeneCount { get; }

    /// <summary>Gene names (the label's slot names), if known.</summary>
    public IReadOnlyList<string>? Genes => _genes;

    /// <summary>What training did.</summary>
    public StemDiffusionTrainingSummary Summary { get; }

    /// <summary>
    /// Split-conformal scale per interval level (key: the level in whole percent, "80"), fitted on held-out training spots
    /// (<see cref="StemDiffusionOptions.CalibrationFraction"/>): a level-L interval is its raw draws' quantile interval
    /// widened (or narrowed) by this factor around its centre. Null, or a level without a key, means raw intervals.
    /// </summary>
    public IReadOnlyDictionary<string, double>? IntervalScales { get; }

    /// <summary>The calibration scale applied to <paramref name="level"/>'s intervals (1 when it is not calibrated).</summary>
    public double IntervalScale(double level) => IntervalScales?.GetValueOrDefault(LevelSuffix(level), 1) ?? 1;

    /// <summary>Trainable scalars of the denoiser.</summary>
    public long ParameterCount => _network.ParameterCount;

    internal IDenoiser Denoiser => (IDenoiser)_network;

    internal GaussianDiffusion Diffusion => _diffusion;

    /// <summary>
    /// A copy of this model with other sampling options (sampler, steps, eta, draws, seed, outputs, intervals, batch,
    /// threads, workers); training options are kept. This model is not changed (ML.NET transformers are immutable); the
    /// copy shares the trained network, which is released when the last of them is disposed.
    /// </summary>
    /// <exception cref="ArgumentException">A sampling option is out of range or a training option differs.</exception>
    public StemDiffusionTransformer WithSampling(Func<StemDiffusionOptions, StemDiffusionOptions> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var updated = change(Options);
        StemDiffusionEstimator.Validate(updated);
        var sampling = Options with
        {
            Sampler = updated.Sampler, Steps = updated.Steps, Eta = updated.Eta, Draws = updated.Draws, AntitheticDraws = updated.AntitheticDraws, PredictionSeed = updated.PredictionSeed,
            OutputDraws = updated.OutputDraws, IntervalLevels = updated.IntervalLevels, PredictionBatchSpots = updated.PredictionBatchSpots,
            ClipDenoised = updated.ClipDenoised,
            Threads = updated.Threads, Workers = updated.Workers, OutputColumn = updated.OutputColumn,
        };
        if (sampling != updated) throw new ArgumentException("StemDiffusion: only sampling options can change after training.", nameof(change));
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new StemDiffusionTransformer(this, updated);
    }

    internal static string LevelSuffix(double level) => Math.Round(level * 100).ToString(CultureInfo.InvariantCulture);

    /// <summary>The output columns for the given options and gene count, in order.</summary>
    /// <remarks>Gene vectors carry <paramref name="names"/> as their slot names; the draws [draws, genes] carry none.</remarks>
    internal static IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns(StemDiffusionOptions o, int genes, IReadOnlyList<string>? names)
    {
        var vector = ColumnTypes.FloatTensor(genes);
        DataViewSchema.DetachedColumn Genes(string name) => SchemaColumns.Create(name, vector, names);
        var columns = new List<DataViewSchema.DetachedColumn> { Genes(o.OutputColumn), Genes(o.OutputColumn + "Std") };
        if (o.OutputDraws) columns.Add(SchemaColumns.Create(o.OutputColumn + "Draws", ColumnTypes.FloatTensor(o.Draws, genes)));
        var levels = o.EffectiveIntervalLevels;
        for (int i = 0; i < levels.Count; i++)
        {
            if (i == 0)
            {
                columns.Add(Genes(o.OutputColumn + "Lower"));
                columns.Add(Genes(o.OutputColumn + "Upper"));
            }
            columns.Add(Genes(o.OutputColumn + "Lower" + LevelSuffix(levels[i])));
            columns.Add(Genes(o.OutputColumn + "Upper" + LevelSuffix(levels[i])));
        }
        return columns;
    }

    /// <inheritdoc />
    /// <exception cref="SchemaMismatchException">The feature column is missing or its width differs from training, or the input's
    /// label column carries a different gene panel than the model predicts.</exception>
    public override DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var input = inputSchema.Find(Options.FeatureColumn);
        string expected = Views > 1
            ? $"{ColumnTypes.FloatTensor(Views, FeatureCount)} or {ColumnTypes.FloatTensor(FeatureCount)}"
            : ColumnTypes.FloatTensor(FeatureCount).ToString();
        if (input is not { } feature || feature.Type.Kind != ColumnKind.FloatTensor || feature.Type.Dimensions.Count is 0 or > 2
            || feature.Type.Dimensions[^1] != FeatureCount)
            throw new SchemaMismatchException(Options.FeatureColumn, expected, input?.Type.ToString(), ComponentName);
        if (Layout.HasContext)
        {
            var given = StemDiffusionEstimator.Layout(Options, inputSchema, FeatureCount, ComponentName);
            for (int set = 0; set < Layout.ContextSizes.Length; set++)
                if (given.ContextSizes[set] != Layout.ContextSizes[set])
                    throw new SchemaMismatchException(Options.ContextColumns![set], $"the {Layout.ContextSizes[set]} spots the model was trained with",
                        $"{given.ContextSizes[set]} spots", ComponentName);
        }
        if (inputSchema.Find(Options.LabelColumn) is { } label && label.Type.Kind == ColumnKind.FloatTensor)
        {
            if (label.Type.Size != GeneCount)
                throw new SchemaMismatchException(Options.LabelColumn, $"the model's panel of {GeneCount} genes", $"{label.Type} (a different gene panel)", ComponentName);
            if (_genes is not null && label.SlotNames is { } names && !names.SequenceEqual(_genes, StringComparer.Ordinal))
            {
                int at = Enumerable.Range(0, GeneCount).First(i => names[i] != _genes[i]);
                throw new SchemaMismatchException(Options.LabelColumn,
                    $"the model's gene panel ({GeneCount} genes; gene {at} is '{_genes[at]}')",
                    $"{label.Type} with a different gene panel (gene {at} is '{names[at]}')", ComponentName);
            }
        }
        return inputSchema.With(OutputColumns(Options, GeneCount, _genes).ToArray());
    }

    /// <inheritdoc />
    /// <remarks>
    /// Lazy and batched: each batch of rows read from the result is sampled at once, its spots in groups of
    /// <see cref="StemDiffusionOptions.PredictionBatchSpots"/> on <see cref="StemDiffusionOptions.EffectiveWorkers"/> parallel
    /// workers. A Microsoft.ML row cursor over the result reads batches of spots × workers rows, so every worker gets a full group.
    /// </remarks>
    public override IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(input.Schema);
        var options = Options;
        var produced = OutputColumns(options, GeneCount, _genes);
        var dims = input.Schema.Get(options.FeatureColumn, ComponentName).Type.Dimensions;
        var views = dims.Count == 2 ? dims[0] : 1;
        // Checked before any batch is allocated: a draws count whose batch cannot even be addressed is refused here
        // (callers with a memory budget compare PredictionBatchBytes with it first).
        long bytes = PredictionBatchBytes(options);
        if (bytes > MaxPredictionBatchBytes)
            throw new InvalidOperationException(
                $"{ComponentName}: {options.Draws:N0} draws per spot × {(long)options.PredictionBatchSpots * options.EffectiveWorkers:N0} spots per batch × " +
                $"{GeneCount:N0} genes need {FormatBytes(bytes)} per prediction batch, more than the {FormatBytes(MaxPredictionBatchBytes)} this process can allocate; " +
                "use fewer draws (or a smaller PredictionBatchSpots).");
        int cursorBatch = (int)Math.Min((long)options.PredictionBatchSpots * options.EffectiveWorkers, int.MaxValue);
        var contexts = options.ContextColumns ?? [];
        string[] dependencies = [options.FeatureColumn, .. contexts, .. contexts.Select(ConditionLayout.MaskColumn)];
        return new MappedDataView(input, produced, dependencies, () => new Mapper(this, options, views), cursorBatch);
    }

    private sealed class Mapper(StemDiffusionTransformer owner, StemDiffusionOptions options, int views) : IBatchMapper
    {
        private long _row;

        public IReadOnlyDictionary<string, Array> Map(DataBatch input, IReadOnlyCollection<string> produce)
        {
            int rows = input.RowCount;
            var draws = owner.Sample(owner.Condition(input, views, _row, options), rows, _row, options);
            _row += rows;
            var all = owner.Summarize(draws, rows, options);
            return all.Where(p => produce.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value);
        }

        public void Dispose() { }
    }

    /// <summary>
    /// The raw condition rows [rows, <see cref="ConditionWidth"/>] of a batch: view 0 of the feature column, and for HisDiff
    /// the context columns and masks after it (<see cref="ConditionLayout"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">A value is NaN or infinite, or a column holds the wrong number of values.</exception>
    internal float[] Condition(DataBatch input, int views, long firstRow, StemDiffusionOptions o)
    {
        int d = FeatureCount, rows = input.RowCount;
        var features = input.GetFloats(o.FeatureColumn);
        if (features.Length != (long)rows * views * d)
            throw new InvalidDataException($"{ComponentName}: a batch of {rows} rows holds {features.Length} feature values, expected {(long)rows * views * d}.");
        var own = new float[rows * d];
        for (int r = 0; r < rows; r++)
        {
            var view0 = features.AsSpan(r * views * d, d);
            for (int j = 0; j < d; j++)
                if (!float.IsFinite(view0[j]))
                    throw new InvalidDataException($"{ComponentName}: feature {j} of row {firstRow + r} in column '{o.FeatureColumn}' is {view0[j]} (NaN or infinite).");
            view0.CopyTo(own.AsSpan(r * d));
        }
        if (!Layout.HasContext) return own;
        var (contexts, masks) = ConditionLayout.Read(input, o.ContextColumns!);
        return Layout.Assemble(rows, own, contexts, masks, o.ContextColumns!, firstRow);
    }

    /// <summary>Draws [rows, draws, genes] in label units for a batch of raw condition rows (<see cref="Condition"/>) whose
    /// first row has global index <paramref name="firstRow"/>.</summary>
    internal float[] Sample(float[] condition, int rows, long firstRow, StemDiffusionOptions o)
    {
        int d = ConditionWidth, g = GeneCount, k = o.Draws;
        if (condition.Length != (long)rows * d)
            throw new InvalidDataException($"{ComponentName}: a batch of {rows} rows holds {condition.Length} condition values, expected {(long)rows * d}.");
        condition = (float[])condition.Clone();
        _featureScaling.Apply(condition);
        // A feature nearly constant in training (a tiny standard deviation) turns an unusual input into a huge standardized
        // value: bounded here (and in the ONNX sampler), so the denoiser sees at most ConditionLimit training SDs.
        for (int i = 0; i < condition.Length; i++) condition[i] = Math.Clamp(condition[i], -ConditionLimit, ConditionLimit);
        var result = new float[(long)rows * k * g];
        if (rows == 0) return result;
        if (o.Threads is { } threads) TorchThreads.Set(threads);
        int steps = o.EffectiveSteps;
        var (lower, upper) = ClipBounds();
        // Spots are sampled in groups, the groups on parallel workers. A spot's noise comes from its own generator, so the
        // draws do not depend on the grouping or the worker count.
        int workers = o.EffectiveWorkers;
        int groups = (rows + o.PredictionBatchSpots - 1) / o.PredictionBatchSpots;
        if (groups % workers != 0 && rows >= workers) groups += workers - groups % workers;   // balance the workers
        groups = Math.Min(groups, rows);
        var failures = new List<Exception>();
        Parallel.For(0, groups, new ParallelOptions { MaxDegreeOfParallelism = workers }, group =>
        {
            int first = (int)((long)rows * group / groups), s = (int)((long)rows * (group + 1) / groups) - first;
            var generators = Enumerable.Range(0, s).Select(i => new Generator(SeedMixer.Mix(o.PredictionSeed, firstRow + first + i, 3))).ToArray();
            // One spot's noise for all its draws; antithetic draws pair every noise path with its negation.
            Tensor SpotNoise(Generator generator)
            {
                if (!o.AntitheticDraws || k < 2) return Tensor.RandN([k, g], generator);
                var z = Tensor.RandN([k - k / 2, g], generator);
                return Tensor.Cat([z, z.Narrow(0, 0, k / 2) * -1.0], 0);
            }
            try
            {
                using var scope = Tensor.NewScope();
                var c = Tensor.FromArray(condition.AsSpan(first * d, s * d).ToArray(), [s, d]).Unsqueeze(1).Expand(s, k, d).Reshape((long)s * k, d);
                Tensor Noise() => s == 1 ? SpotNoise(generators[0]) : Tensor.Cat(generators.Select(SpotNoise).ToArray(), 0);
                (Tensor, Tensor)? clip = o.ClipDenoised ? (Tensor.FromArray(lower, [1, g]), Tensor.FromArray(upper, [1, g])) : null;
                var x0 = _diffusion.Sample(Denoiser, c, Noise, o.Sampler, steps, o.Eta, clip).ToFloatArray();
                x0.CopyTo(result.AsSpan(first * k * g));
            }
            catch (Exception e)
            {
                lock (failures) failures.Add(e);
            }
            finally
            {
                foreach (var gen in generators) gen.Dispose();
            }
        });
        if (failures.Count > 0) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failures[0]).Throw();
        Prior?.AddTo(result, condition, rows, k);
        _labelScaling.Invert(result);
        return result;
    }

    /// <summary>
    /// The bounds every denoised estimate is clamped to while sampling, in the model's standardized space: the training
    /// range of what the diffusion models (labels, or the cross-fitted residuals of a mean prior) widened by half its
    /// width on each side. Shared with the ONNX export so both clamp identically.
    /// </summary>
    internal (float[] Lower, float[] Upper) ClipBounds()
    {
        int g = GeneCount;
        var lower = new float[g];
        var upper = new float[g];
        for (int j = 0; j < g; j++)
        {
            float lo = Prior?.ResidualMin[j] ?? (_labelMin[j] - _labelScaling.Mean[j]) / _labelScaling.Std[j];
            float hi = Prior?.ResidualMax[j] ?? (_labelMax[j] - _labelScaling.Mean[j]) / _labelScaling.Std[j];
            float margin = Math.Max(0.5f * (hi - lo), 1e-3f);
            (lower[j], upper[j]) = (lo - margin, hi + margin);
        }
        return (lower, upper);
    }

    /// <summary>Mean, std, draws and the interval columns of sampled draws; intervals calibrated unless asked not to.</summary>
    internal Dictionary<string, Array> Summarize(float[] draws, int rows, StemDiffusionOptions o, bool applyCalibration = true)
    {
        int g = GeneCount, k = o.Draws;
        var mean = new float[rows * g];
        var std = new float[rows * g];
        var levels = o.EffectiveIntervalLevels;
        var lower = levels.Select(_ => new float[rows * g]).ToArray();
        var upper = levels.Select(_ => new float[rows * g]).ToArray();
        var column = new double[k];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < g; j++)
            {
                double sum = 0;
                for (int i = 0; i < k; i++) sum += column[i] = draws[((long)r * k + i) * g + j];
                double m = sum / k, sq = 0;
                for (int i = 0; i < k; i++) sq += (column[i] - m) * (column[i] - m);
                mean[r * g + j] = (float)m;
                std[r * g + j] = (float)Math.Sqrt(sq / k);
                Array.Sort(column);
                for (int l = 0; l < levels.Count; l++)
                {
                    double lo = Quantile(column, (1 - levels[l]) / 2), hi = Quantile(column, (1 + levels[l]) / 2);
                    double scale = applyCalibration ? IntervalScale(levels[l]) : 1;
                    (lo, hi) = (0.5 * (lo + hi) - scale * 0.5 * (hi - lo), 0.5 * (lo + hi) + scale * 0.5 * (hi - lo));
                    lower[l][r * g + j] = (float)lo;
                    upper[l][r * g + j] = (float)hi;
                }
            }
        var result = new Dictionary<string, Array>(StringComparer.Ordinal)
        {
            [o.OutputColumn] = mean,
            [o.OutputColumn + "Std"] = std,
        };
        if (o.OutputDraws) result[o.OutputColumn + "Draws"] = draws;
        for (int l = 0; l < levels.Count; l++)
        {
            if (l == 0)
            {
                result[o.OutputColumn + "Lower"] = lower[0];
                result[o.OutputColumn + "Upper"] = upper[0];
            }
            result[o.OutputColumn + "Lower" + LevelSuffix(levels[l])] = lower[l];
            result[o.OutputColumn + "Upper" + LevelSuffix(levels[l])] = upper[l];
        }
        return result;
    }

    /// <summary>Linear-interpolation quantile of sorted values (NumPy's default).</summary>
    internal static double Quantile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    }

    /// <inheritdoc />
    public override void Save(ComponentSaveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var schedule = new ScheduleState("linear", Options.DiffusionSteps, 1e-4 * 1000 / Options.DiffusionSteps, 0.02 * 1000 / Options.DiffusionSteps);
        context.WriteJson("stem.json", new State(Options, Views, FeatureCount, GeneCount, _genes, schedule, Summary, Prior?.Ridge.Alpha,
            Layout.HasContext ? Layout.ContextSizes : null, IntervalScales?.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)));
        context.WriteFloats("feature_mean.f32", _featureScaling.Mean);
        context.WriteFloats("feature_std.f32", _featureScaling.Std);
        context.WriteFloats("label_mean.f32", _labelScaling.Mean);
        context.WriteFloats("label_std.f32", _labelScaling.Std);
        context.WriteFloats("label_min.f32", _labelMin);
        context.WriteFloats("label_max.f32", _labelMax);
        if (Prior is not null)
        {
            context.WriteFloats("prior_weights.f32", Prior.Ridge.Weights);
            context.WriteFloats("prior_bias.f32", Prior.Ridge.Bias);
            context.WriteFloats("prior_residual_min.f32", Prior.ResidualMin);
            context.WriteFloats("prior_residual_max.f32", Prior.ResidualMax);
        }
        using var stream = context.OpenWrite("denoiser.state");
        _network.SaveStateDict(stream);
    }

    /// <summary>Reads the transformer written by <see cref="Save"/>.</summary>
    /// <exception cref="ModelFormatException">An entry is missing, malformed, inconsistent, or does not match the recorded architecture.</exception>
    public static ITransformer Load(ComponentLoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var s = context.ReadJson<State>("stem.json");
        if (s.Options is null || s.Schedule is null)
            throw new ModelFormatException($"{ComponentName} entry 'stem.json' lacks its options or schedule.");
        try
        {
            StemDiffusionEstimator.Validate(s.Options);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"{ComponentName} entry 'stem.json' holds invalid options: {e.Message}", e);
        }
        if (s.Views < 1 || s.FeatureCount < 1 || s.GeneCount < 1 || (s.Genes is not null && s.Genes.Length != s.GeneCount))
            throw new ModelFormatException($"{ComponentName} entry describes an impossible model: {s.Views} views, {s.FeatureCount} features, {s.GeneCount} genes.");
        if (s.Schedule.Kind != "linear" || s.Schedule.Steps != s.Options.DiffusionSteps)
            throw new ModelFormatException($"{ComponentName}: unsupported or inconsistent schedule '{s.Schedule.Kind}' with {s.Schedule.Steps} steps.");
        if ((s.ContextSizes?.Length ?? 0) != (s.Options.ContextColumns?.Count ?? 0) || (s.ContextSizes?.Any(k => k is < 1 or > 1024) ?? false))
            throw new ModelFormatException($"{ComponentName} entry 'stem.json' records context sizes [{string.Join(", ", s.ContextSizes ?? [])}] " +
                $"for {s.Options.ContextColumns?.Count ?? 0} context columns.");
        long slots = s.ContextSizes?.Sum() ?? 0, width = s.FeatureCount * (1 + slots) + slots;
        if (width * s.GeneCount > Array.MaxLength / sizeof(float) || width > Array.MaxLength / 64)
            throw new ModelFormatException($"{ComponentName} entry 'stem.json' describes an impossible model: {s.FeatureCount} features × {s.GeneCount} genes.");
        var layout = new ConditionLayout(s.FeatureCount, s.ContextSizes ?? []);
        float[] Read(string entry, int count) => ModelLoadChecks.Finite(context.ReadFloats(entry, count), ComponentName, entry);
        var features = new Standardization(Read("feature_mean.f32", layout.Width), Read("feature_std.f32", layout.Width));
        var labels = new Standardization(Read("label_mean.f32", s.GeneCount), Read("label_std.f32", s.GeneCount));
        var labelMin = Read("label_min.f32", s.GeneCount);
        var labelMax = Read("label_max.f32", s.GeneCount);
        if (!features.Mean.Concat(features.Std).Concat(labels.Mean).Concat(labels.Std).Concat(labelMin).Concat(labelMax).All(float.IsFinite)
            || features.Std.Any(v => v <= 0) || labels.Std.Any(v => v <= 0) || labelMin.Zip(labelMax).Any(p => p.First > p.Second))
            throw new ModelFormatException($"{ComponentName}: the standardization entries hold non-finite or non-positive values.");
        RidgePrior? prior = null;
        if (s.Options.MeanPrior == MeanPrior.Ridge)
        {
            if (s.PriorAlpha is not { } alpha || !(alpha >= 0))
                throw new ModelFormatException($"{ComponentName} entry 'stem.json' uses a ridge mean prior but records no valid penalty.");
            prior = new RidgePrior(
                new RidgeSolver.Solution(layout.Width, s.GeneCount, Read("prior_weights.f32", layout.Width * s.GeneCount),
                    Read("prior_bias.f32", s.GeneCount), alpha),
                Read("prior_residual_min.f32", s.GeneCount), Read("prior_residual_max.f32", s.GeneCount));
            if (!prior.Ridge.Weights.Concat(prior.Ridge.Bias).Concat(prior.ResidualMin).Concat(prior.ResidualMax).All(float.IsFinite))
                throw new ModelFormatException($"{ComponentName}: the mean prior entries hold NaN or infinite values.");
        }
        Module network;
        using (var generator = new Generator(0))   // initial values are overwritten by the state dict
            network = StemDiffusionEstimator.CreateDenoiser(s.Options, s.GeneCount, layout, generator);
        try
        {
            using (var stream = context.OpenRead("denoiser.state", ModelLoadChecks.StateDictLimit(network)))
                network.LoadStateDict(stream);
            network.Eval();
            ModelLoadChecks.Finite(network, ComponentName, "denoiser.state");
            return new StemDiffusionTransformer(s.Options, s.Views, layout, s.GeneCount, s.Genes, features, labels, labelMin, labelMax, prior, network, s.Summary,
                s.IntervalScales);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentException)
        {
            network.Dispose();
            throw new ModelFormatException($"{ComponentName} denoiser weights do not match the recorded architecture: {e.Message}", e);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Releases the denoiser's native tensors once no copy (<see cref="WithSampling"/>) uses them.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _owners.Release();
        _diffusion.Dispose();
    }

    /// <summary>Counts the transformers sharing one trained network; the last to be disposed frees it.</summary>
    private sealed class NetworkOwners(Module network)
    {
        private readonly Lock _sync = new();
        private int _count = 1;

        public void Add()
        {
            lock (_sync)
            {
                ObjectDisposedException.ThrowIf(_count == 0, network);
                _count++;
            }
        }

        public void Release()
        {
            lock (_sync)
            {
                if (--_count == 0) network.Dispose();
            }
        }
    }

    private sealed record ScheduleState(string Kind, int Steps, double BetaStart, double BetaEnd);

    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    private sealed record State(StemDiffusionOptions Options, int Views, int FeatureCount, int GeneCount, string[]? Genes,
        ScheduleState Schedule, StemDiffusionTrainingSummary Summary, double? PriorAlpha = null, int[]? ContextSizes = null,
        Dictionary<string, double>? IntervalScales = null);
}
