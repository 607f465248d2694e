using System.Diagnostics;
using System.Globalization;
using MlNetStem.Data;
using MlNetStem.Data.Reporting;
using MlNetStem.Imaging;
using MlNetStem.Transforms.Imaging;

namespace MlNetStem.Host.Commands;

/// <summary>
/// Dense expression maps: tiles the tissue of a section's H&amp;E at a stride finer than the spot grid, predicts every
/// tile with a trained model (streamed in blocks, so memory stays bounded on a whole slide), and writes an .h5ad of tiles
/// plus a PNG heat map per chosen gene over the H&amp;E thumbnail. Models that read a neighbourhood (HisDiff) take it from
/// the surrounding tiles at the training spots' pitch (<see cref="ContextTileScorer"/>).
/// </summary>
public sealed class MapCommand : ICommand
{
    /// <summary>Tiles predicted per block: bounds the patches and draws in memory whatever the slide's size.</summary>
    public const int BlockTiles = 2048;

    /// <summary>Most tiles one map may have (a 2 cm² section at 10 µm is 2 million; beyond that, use a coarser stride).</summary>
    public const int MaxTiles = 4_000_000;

    /// <inheritdoc />
    public string Name => "map";

    /// <inheritdoc />
    public string Summary => "dense expression map: predict tiles over the whole tissue at a fine stride; write .h5ad and PNG heat maps";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("input", "section (HER2ST folder, Space Ranger outs/, HEST-1k folder, .h5ad) or an H&E image file (.tif, .svs, .jpg, ... with --mpp)", "PATH"),
        new("model", "model archive from 'train' (any trainer)", "FILE"),
        new("output", "tiles as .h5ad (X = prediction per tile, obsm['spatial'] = tile centres in full-resolution pixels)", "FILE", "map.h5ad"),
        new("stride-um", "distance between tile centres in micrometres (tiles are the model's patch size, so they overlap when smaller)", "UM", "25"),
        new("min-tissue", "least tissue fraction of a tile's patch (tissue mask from a low-resolution level)", "F", "0.5"),
        new("png", "folder for one heat map PNG per --map-genes gene over the H&E (default: next to --output, OUTPUT_maps/)", "DIR"),
        SectionReport.MapGenesOption,
        .. SectionReader.ImageOptions,
        .. SamplingSettings.CommandOptions,
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string input = args.Require("input");
        string modelPath = args.Require("model");
        string output = args.Get("output", "map.h5ad")!;
        if (!output.EndsWith(".h5ad", StringComparison.OrdinalIgnoreCase)) throw new UsageException($"'--output {output}': the extension must be .h5ad");
        double stride = args.GetDouble("stride-um", 25)!.Value;
        if (!(stride > 0) || !double.IsFinite(stride)) throw new UsageException($"'--stride-um {stride}': must be a positive number of micrometres");
        double minTissue = args.GetDouble("min-tissue", 0.5)!.Value;
        if (!(minTissue is >= 0 and <= 1)) throw new UsageException($"'--min-tissue {minTissue}': must lie in [0, 1]");
        string pngFolder = args.Get("png") ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, Path.GetFileNameWithoutExtension(output) + "_maps");
        OutputPaths.CheckFile("output", output);
        OutputPaths.CheckFolder("png", pngFolder);
        var sampling = SamplingSettings.From(args);
        var log = Console.Error;

        var ctx = Contexts.Create(1, new ConsoleProgressReporter());
        ITransformer model = PredictionModels.ForEverySpot(sampling.ApplyTo(ctx.SpatialExpression().LoadModel(modelPath, out _)));
        sampling.CheckMemory(model);
        var patches = (model as IEnumerable<ITransformer>)?.OfType<LoadPatchesTransformer>().FirstOrDefault()
            ?? throw new UsageException($"'{modelPath}' reads no image patches (no LoadPatches step), so it cannot map tiles");
        var panel = (model as IEnumerable<ITransformer>)?.OfType<Transforms.Expression.SelectGenesTransformer>().FirstOrDefault()?.Genes;
        var (slide, libraryId) = Slide(input, args, log);
        double mpp = slide.MicronsPerPixel!.Value;

        var clock = Stopwatch.StartNew();
        IReadOnlyList<(double X, double Y)> centres;
        int width, height;
        using (var opened = SlideOpener.Open(slide.Path))
        {
            (width, height) = (opened.Levels[0].Width, opened.Levels[0].Height);
            var mask = TissueMask.Compute(opened);
            double pitch = stride / mpp, patchPixels = patches.Options.SizeMicrons / mpp;
            double estimate = Math.Ceiling(width / pitch) * Math.Ceiling(height / pitch) * Math.Max(mask.TissueCoverage, 0.01);
            if (estimate > MaxTiles)
                throw new UsageException($"--stride-um {stride} gives about {estimate:0} tiles on this {width}×{height} px slide; at most {MaxTiles} are mapped at once: use a coarser stride");
            centres = TileGrid.Centres(mask, pitch, patchPixels, minTissue);
            log.WriteLine($"tissue mask: {mask.TissueCoverage:P0} of the slide; {centres.Count} tiles every {stride:0.#} µm " +
                $"({pitch:0.#} px), each a {patches.Options.SizeMicrons:0.#} µm patch");
        }
        if (centres.Count == 0) throw new InvalidDataException($"no tile of '{slide.Path}' has {minTissue:P0} tissue (is it an H&E image?)");

        var (scores, std, genes) = ContextTileScorer.Applies(model)
            ? ContextTileScorer.Predict(ctx, model, slide, centres, stride, BlockTiles, log)
            : PredictTiles(ctx, model, slide, centres, log);
        double seconds = clock.Elapsed.TotalSeconds;
        var tiles = TileTable(centres, stride / mpp, scores, std, genes);
        var mapGenes = ChooseGenes(args, genes, panel);
        // Tiles drawn by scanpy as discs of the stride's diameter: neighbours touch, as in the PNG maps.
        var spatial = SpatialLibraries.FromImage(slide.Path, libraryId, mpp, stride, "the map's tile stride (--stride-um)");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        int rows = PredictionH5adWriter.Write(tiles, output, new PredictionProvenance(Path.GetFullPath(modelPath))
        {
            Input = Path.GetFullPath(input),
            Extra = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["kind"] = "dense map of tiles",
                ["stride_um"] = stride.ToString("R", CultureInfo.InvariantCulture),
                ["tile_um"] = patches.Options.SizeMicrons.ToString("R", CultureInfo.InvariantCulture),
                ["microns_per_pixel"] = mpp.ToString("R", CultureInfo.InvariantCulture),
                ["min_tissue"] = minTissue.ToString("R", CultureInfo.InvariantCulture),
            },
        }, spatial: spatial);
        Console.WriteLine($"wrote {rows} tiles × {genes.Count} genes to {output} ({rows / Math.Max(seconds, 1e-9):0.0} tiles/s: patches + features + model)");

        Directory.CreateDirectory(pngFolder);
        var (thumbnail, scale) = ImageThumbnail.Read(slide.Path, 1200);
        var layout = SpotLayout.Tiles(centres.Select(c => c.X).ToArray(), centres.Select(c => c.Y).ToArray(), scale,
            (thumbnail.Width, thumbnail.Height), stride / mpp);
        foreach (string gene in mapGenes)
        {
            int g = genes.IndexOf(gene);
            var values = Enumerable.Range(0, centres.Count).Select(t => scores[t * genes.Count + g]).ToArray();
            string png = Path.Combine(pngFolder, $"{Safe(gene)}.png");
            PngEncoder.Save(SpotMap.Draw(thumbnail, layout, values, SpotMap.RobustRange(values), Colormap.Viridis), png);
            Console.WriteLine($"wrote {png}");
        }
        return 0;
    }

    /// <summary>The slide to tile, with its µm/px, and the name of the section for scanpy.</summary>
    private static (SlideReference Slide, string LibraryId) Slide(string input, ParsedArguments args, TextWriter log)
    {
        double? mpp = args.GetDouble("mpp");
        if (File.Exists(input) && !input.EndsWith(".h5ad", StringComparison.OrdinalIgnoreCase))
        {
            using var opened = SlideOpener.Open(input);
            double? known = mpp ?? opened.MicronsPerPixel;
            if (known is null) throw new UsageException($"'{input}' does not record its µm per pixel: give --mpp");
            return (new SlideReference(Path.GetFullPath(input), known), Path.GetFileNameWithoutExtension(input));
        }
        var section = SectionReader.LoadSection(input, requireCounts: false, mpp, log, args.Get("image"), args.Get("sample"));
        var image = section.Data.Schema.Find(SpotColumns.Image) is null ? null
            : ((SlideReference?[])section.Data.GetColumnArray(SpotColumns.Image)).FirstOrDefault(i => i is not null);
        if (image is null) throw new UsageException($"'{input}' has no H&E image to map (give --image)");
        double? resolved = image.MicronsPerPixel ?? section.MicronsPerPixel;
        if (resolved is null) throw new UsageException($"µm per pixel of '{image.Path}' is unknown: give --mpp");
        return (image with { MicronsPerPixel = resolved }, SectionReader.NameOf(input, args.Get("sample")));
    }

    /// <summary>Predicts the tiles block by block; keeps only the prediction and its std (diffusion models).</summary>
    private static (float[] Scores, float[]? Std, List<string> Genes) PredictTiles(MLContext ctx, ITransformer model, SlideReference slide,
        IReadOnlyList<(double X, double Y)> centres, TextWriter log)
    {
        float[]? scores = null, std = null;
        List<string>? genes = null;
        using var scope = ctx.SpatialExpression().Progress.Start("predicting tiles", centres.Count);
        for (int start = 0; start < centres.Count; start += BlockTiles)
        {
            int n = Math.Min(BlockTiles, centres.Count - start);
            var block = TileGrid.ToSpots(slide, centres.Skip(start).Take(n).ToArray());
            var (scored, _) = SectionScorer.Score(model, block, SilentProgressReporter.Instance, log);
            var score = scored.Schema["Score"];
            genes ??= score.SlotNames?.ToList() ?? Enumerable.Range(0, score.Type.Size).Select(i => $"gene{i}").ToList();
            // Sized once the panel is known: tiles × genes floats, the only thing that grows with the slide.
            scores ??= new float[(long)centres.Count * genes.Count <= int.MaxValue ? centres.Count * genes.Count
                : throw new InvalidDataException($"{centres.Count} tiles × {genes.Count} genes is too large for one map: use a coarser --stride-um")];
            ((float[])scored.GetColumnArray("Score")).CopyTo(scores, start * genes.Count);
            if (scored.Schema.Find("ScoreStd") is not null)
            {
                std ??= new float[scores.Length];
                ((float[])scored.GetColumnArray("ScoreStd")).CopyTo(std, start * genes.Count);
            }
            scope.Advance(n);
        }
        return (scores!, std, genes!);
    }

    private static InMemoryDataView TileTable(IReadOnlyList<(double X, double Y)> centres, double pitch, float[] scores, float[]? std, List<string> genes)
    {
        var columns = new List<DataViewSchema.DetachedColumn>
        {
            SchemaColumns.Create(SpotColumns.Barcode, ColumnTypes.Text),
            SchemaColumns.Create(SpotColumns.PixelX, ColumnTypes.Float64),
            SchemaColumns.Create(SpotColumns.PixelY, ColumnTypes.Float64),
            SchemaColumns.Create(SpotColumns.ArrayX, ColumnTypes.Int32),
            SchemaColumns.Create(SpotColumns.ArrayY, ColumnTypes.Int32),
            SchemaColumns.Create("Score", ColumnTypes.FloatTensor(genes.Count), genes),
        };
        var values = new Dictionary<string, Array>
        {
            [SpotColumns.Barcode] = centres.Select(c => $"tile_{Math.Round(c.X):0}_{Math.Round(c.Y):0}").ToArray(),
            [SpotColumns.PixelX] = centres.Select(c => c.X).ToArray(),
            [SpotColumns.PixelY] = centres.Select(c => c.Y).ToArray(),
            // Tile grid indices (column, row), as array_col/array_row.
            [SpotColumns.ArrayX] = centres.Select(c => (int)Math.Round(c.X / pitch - 0.5)).ToArray(),
            [SpotColumns.ArrayY] = centres.Select(c => (int)Math.Round(c.Y / pitch - 0.5)).ToArray(),
            ["Score"] = scores,
        };
        if (std is not null)
        {
            columns.Add(SchemaColumns.Create("ScoreStd", ColumnTypes.FloatTensor(genes.Count), genes));
            values["ScoreStd"] = std;
        }
        return new InMemoryDataView(columns, centres.Count, values);
    }

    private static IReadOnlyList<string> ChooseGenes(ParsedArguments args, List<string> genes, IReadOnlyList<string>? panel)
    {
        var named = SectionReport.MapGenes(args);
        if (named is null) return genes.Take(ExpressionReport.DefaultMapGenes).ToArray();
        var unknown = named.Where(g => !genes.Contains(g)).ToArray();
        if (unknown.Length > 0)
            throw new UsageException($"map gene(s) {string.Join(", ", unknown)} not in the model's {genes.Count}-gene panel (first genes: {string.Join(", ", (panel ?? genes).Take(8))})");
        return named;
    }

    private static string Safe(string gene) => string.Concat(gene.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
