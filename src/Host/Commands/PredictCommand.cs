using MlNetStem.Data;
using MlNetStem.Pipeline;
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
        new("output", "predictions to write: .h5ad (AnnData) or .csv", "FILE", "predictions.csv"),
        new("mpp", "microns per pixel of the image (default: from the layout, or estimated from the spot grid)", "UM"),
        new("image", "image to use: full-resolution H&E for Space Ranger output, the image of a lone .h5ad", "FILE"),
        new("sample", "sample id of a HEST folder holding several", "ID"),
        .. SamplingSettings.CommandOptions,
        PointEstimates.CommandOption,
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string input = args.Require("input");
        string modelPath = args.Require("model");
        string output = args.Get("output", "predictions.csv")!;
        bool h5ad = output.EndsWith(".h5ad", StringComparison.OrdinalIgnoreCase);
        if (!h5ad && !output.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"'--output {output}': the extension must be .h5ad or .csv");
        var pointEstimate = PointEstimates.From(args);
        var ctx = Contexts.Create(1, new ConsoleProgressReporter());
        var model = ctx.SpatialExpression().LoadModel(modelPath, out _);
        SamplingSettings.From(args).ApplyTo(model);
        // Reading only the panel's genes keeps large inputs (.h5ad, 10x matrices) from being densified whole.
        var panel = (model as IEnumerable<ITransformer>)?.OfType<SelectGenesTransformer>().FirstOrDefault()?.Genes;
        var data = SectionReader.Load(input, requireCounts: false, args.GetDouble("mpp"), Console.Error,
            args.Get("image"), args.Get("sample"), panel?.ToArray());
        var (scored, rate) = SectionScorer.Score(model, data, ctx.SpatialExpression().Progress, Console.Error);
        // The writers take "Score" as the prediction and ignore the extra ScoreMean column.
        if (pointEstimate == PointEstimate.PreserveVariance) scored = PointEstimates.PreserveVariance(ctx, scored);
        int rows = h5ad
            ? PredictionH5adWriter.Write(scored, output, new PredictionProvenance(Path.GetFullPath(modelPath)) { Input = Path.GetFullPath(input) })
            : PredictionCsvWriter.Write(scored, "Score", [SpotColumns.Barcode, SpotColumns.PixelX, SpotColumns.PixelY], output);
        Console.WriteLine($"wrote {rows} spots × {scored.Schema["Score"].Type.Size} genes to {output} ({rate:0.0} spots/s)" +
            (pointEstimate == PointEstimate.PreserveVariance ? $"; point estimate: {PointEstimates.PreserveVarianceName}" : ""));
        return 0;
    }
}
