using MlNetStem.Data;

namespace MlNetStem.Host.Commands;

/// <summary>Predicts expression for a section (with or without counts) and writes CSV.</summary>
public sealed class PredictCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "predict";

    /// <inheritdoc />
    public string Summary => "predict expression for a section from its H&E image; write CSV";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("input", "section folder (HER2ST layout; counts.tsv.gz optional)", "DIR"),
        new("model", "model archive from 'train'", "FILE"),
        new("output", "predictions CSV to write", "FILE", "predictions.csv"),
        new("mpp", "microns per pixel of the image (default: estimated from the spot grid)", "UM"),
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string input = args.Require("input");
        string modelPath = args.Require("model");
        string output = args.Get("output", "predictions.csv")!;
        var ctx = new StemContext { Progress = new ConsoleProgressReporter() };
        var model = ctx.Model.Load(modelPath, out _);
        var data = SectionReader.Load(input, requireCounts: false, args.GetDouble("mpp"), Console.Error);
        var (scored, rate) = SectionScorer.Score(model, data, ctx.Progress, Console.Error);
        int rows = PredictionCsvWriter.Write(scored, "Score", [SpotColumns.Barcode, SpotColumns.PixelX, SpotColumns.PixelY], output);
        Console.WriteLine($"wrote {rows} spots × {scored.Schema["Score"].Type.Size} genes to {output} ({rate:0.0} spots/s)");
        return 0;
    }
}
