using System.Globalization;
using MlNetStem.Data;
using MlNetStem.Pipeline;
using MlNetStem.Trainers.Diffusion;
using MlNetStem.Transforms.Expression;

namespace MlNetStem.Host.Commands;

/// <summary>Predicts expression for a section (with or without counts) and writes .h5ad or CSV.</summary>
public sealed class PredictCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "predict";

    /// <inheritdoc />
    public string Summary => "predict expression for a section from its H&E image; write .h5ad (scanpy-ready) or CSV";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("input", "section: HER2ST folder, Space Ranger outs/, HEST-1k folder or .h5ad (counts optional)", "PATH"),
        new("model", "model archive from 'train'", "FILE"),
        new("output", "predictions to write: .h5ad (AnnData) or .csv (diffusion models: also GENE_std and GENE_lower80/upper80/lower90/upper90 columns)",
            "FILE", "predictions.h5ad"),
        .. SectionReader.ImageOptions,
        new("features-output", "also write the model's input features per spot (the column its trainer reads, e.g. for an exported " +
            "ONNX model): CSV with Barcode, f0..f{D-1}", "FILE.csv"),
        new("with-features", ".h5ad output: also write the model's input features as obsm['X_<featurizer>'] (e.g. X_morphology)", null),
        new("keep-raw", "also keep the unclipped prediction (predictions are clipped at 0, as log2(x+1) cannot be negative): " +
            "layer 'raw' of the .h5ad, GENE_raw columns of the CSV", null),
        .. SamplingSettings.CommandOptions,
        PointEstimates.CommandOption,
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string input = args.Require("input");
        string modelPath = args.Require("model");
        string output = args.Get("output", "predictions.h5ad")!;
        bool h5ad = output.EndsWith(".h5ad", StringComparison.OrdinalIgnoreCase);
        if (!h5ad && !output.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"'--output {output}': the extension must be .h5ad or .csv");
        string? featuresOutput = args.Get("features-output");
        bool withFeatures = args.Flag("with-features"), keepRaw = args.Flag("keep-raw");
        if (withFeatures && !h5ad) throw new UsageException("--with-features writes obsm of an .h5ad; give --output FILE.h5ad (or --features-output FILE.csv)");
        if (featuresOutput is not null && !featuresOutput.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"'--features-output {featuresOutput}': the extension must be .csv");
        var pointEstimate = PointEstimates.From(args);
        var sampling = SamplingSettings.From(args);
        // Where results go is checked before the model or any data is read.
        OutputPaths.CheckFile("output", output);
        if (featuresOutput is not null) OutputPaths.CheckFile("features-output", featuresOutput);
        var ctx = Contexts.Create(1, new ConsoleProgressReporter());
        ITransformer model = ctx.SpatialExpression().LoadModel(modelPath, out _);
        model = PredictionModels.ForEverySpot(sampling.ApplyTo(model));
        sampling.CheckMemory(model);
        // Reading only the panel's genes keeps large inputs (.h5ad, 10x matrices) from being densified whole.
        var panel = (model as IEnumerable<ITransformer>)?.OfType<SelectGenesTransformer>().FirstOrDefault()?.Genes;
        var section = SectionReader.LoadSection(input, requireCounts: false, args.GetDouble("mpp"), Console.Error,
            args.Get("image"), args.Get("sample"), panel?.ToArray());
        var data = section.Data;
        string? featureColumn = featuresOutput is null && !withFeatures ? null : FeatureColumn(model, data.Schema);
        var (scored, rate) = SectionScorer.Score(model, data, ctx.SpatialExpression().Progress, Console.Error,
            featureColumn is null ? null : [featureColumn]);
        PredictionModels.ReportSpotsWithoutPanelCounts(scored, Console.Error);
        // The writers take "Score" as the prediction and ignore the extra ScoreMean column.
        if (pointEstimate == PointEstimate.PreserveVariance) scored = PointEstimates.PreserveVariance(ctx, scored);
        // Once, before either writer: both formats hold the same numbers.
        scored = PredictionClipping.ClipAtZero(scored, keepRaw);
        // OutputPaths checked that the nearest existing folder is writable; missing folders are made now.
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        int rows = h5ad
            ? PredictionH5adWriter.Write(scored, output, new PredictionProvenance(Path.GetFullPath(modelPath))
            {
                Input = Path.GetFullPath(input), Extra = Provenance(model, pointEstimate), MicronsPerPixel = MicronsPerPixel(data),
                ClippedAtZero = true,
            }, spatial: SpatialLibraries.FromSection(section, SectionReader.NameOf(input, args.Get("sample")), Console.Error),
                embeddings: withFeatures ? FeatureEmbedding.Read(scored, featureColumn!, StandardPipeline.FeaturizerName(model)) : null)
            : PredictionCsvWriter.Write(scored, "Score", [SpotColumns.Barcode, SpotColumns.PixelX, SpotColumns.PixelY], output,
                companions: PredictionModels.CsvCompanions);
        Console.WriteLine($"wrote {rows} spots × {scored.Schema["Score"].Type.Size} genes to {output} ({rate:0.0} spots/s)" +
            (pointEstimate == PointEstimate.PreserveVariance ? $"; point estimate: {PointEstimates.PreserveVarianceName}" : ""));
        if (featuresOutput is not null && featureColumn is not null)
        {
            int featureRows = FeatureCsvWriter.Write(scored, featureColumn, SpotColumns.Barcode, featuresOutput);
            int width = scored.Schema[featureColumn].Type.Dimensions[^1];
            Console.WriteLine($"wrote {featureRows} spots × {width} features ('{featureColumn}') to {featuresOutput}");
        }
        return 0;
    }

    /// <summary>The pixel size of the section's image, as the spot table records it; null when unknown.</summary>
    private static double? MicronsPerPixel(IDataView data) =>
        data.Schema.Find(SpotColumns.Image) is not null
        && data.ReadBatches([SpotColumns.Image], 1).FirstOrDefault()?.GetImages(SpotColumns.Image) is [{ MicronsPerPixel: { } mpp }, ..]
            ? mpp
            : null;

    /// <summary>What the .h5ad records about how it was made: trainer, point estimate, sampler, draws and seed.</summary>
    private static Dictionary<string, string> Provenance(ITransformer model, PointEstimate pointEstimate)
    {
        var trainer = (model as IEnumerable<ITransformer>)?.LastOrDefault() ?? model;
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["trainer"] = StandardPipeline.Describe(trainer),
            ["point_estimate"] = pointEstimate == PointEstimate.PreserveVariance ? PointEstimates.PreserveVarianceName : "mean",
        };
        if (trainer is StemDiffusionTransformer stem)
        {
            var o = stem.Options;
            extra["sampler"] = o.Sampler.ToString();
            extra["steps"] = o.EffectiveSteps.ToString(CultureInfo.InvariantCulture);
            extra["draws"] = o.Draws.ToString(CultureInfo.InvariantCulture);
            extra["prediction_seed"] = o.PredictionSeed.ToString(CultureInfo.InvariantCulture);
        }
        return extra;
    }

    /// <summary>The column the model's trainer reads, checked to be a float vector (or [views, D] tensor) of the model's output.</summary>
    /// <exception cref="UsageException">The model has no such column.</exception>
    private static string FeatureColumn(ITransformer model, DataViewSchema input)
    {
        var trainer = (model as IEnumerable<ITransformer>)?.LastOrDefault() ?? model;
        string column = trainer switch
        {
            ColumnMapperTransformer mapper => mapper.InputColumn,
            StemDiffusionTransformer diffusion => diffusion.Options.FeatureColumn,
            _ => "Features",
        };
        var output = model.GetOutputSchema(input);
        if (output.Find(column) is not { } c || c.Type.Kind != ColumnKind.FloatTensor || c.Type.Dimensions.Count == 0)
            throw new UsageException($"--features-output/--with-features: the model has no '{column}' feature column (a float vector its trainer reads)");
        return column;
    }
}
