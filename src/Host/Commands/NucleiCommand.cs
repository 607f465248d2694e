using System.Diagnostics;
using System.Globalization;
using MlNetStem.Data;
using MlNetStem.Data.Reporting;
using MlNetStem.Imaging;
using MlNetStem.Trainers.StAnd;
using MlNetStem.Transforms.Imaging;

namespace MlNetStem.Host.Commands;

/// <summary>
/// Detects the nuclei of a section's H&amp;E (<see cref="NucleusDetector"/>: no model, no download) inside its spots' disks, or
/// over the whole tissue, and writes one row per nucleus (centroid, area, diameter, mean haematoxylin, parent spot) as
/// .h5ad or CSV; with an ST-AnD <c>--model</c>, the .h5ad's X holds each nucleus' predicted expression.
/// </summary>
public sealed class NucleiCommand : ICommand
{
    /// <summary>Longest side of the <c>--overlay</c> crop, in full-resolution pixels.</summary>
    public const int OverlaySide = 1024;

    /// <inheritdoc />
    public string Name => "nuclei";

    /// <inheritdoc />
    public string Summary => "detect nuclei in a section's H&E (inside spots, or the whole tissue); write one row per nucleus (.h5ad or .csv)";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("input", "section: HER2ST folder, Space Ranger outs/, HEST-1k folder or .h5ad with its image (counts not needed)", "PATH"),
        new("output", "nuclei to write: .h5ad (one obs per nucleus, obsm['spatial'] = centroid, uns['spatial']) or .csv", "FILE", "nuclei.h5ad"),
        new("whole-tissue", "detect over the whole tissue, not only inside spots (nuclei outside every spot get no parent spot)", null),
        new("spot-diameter-um", "diameter of a spot's disk (default: from the layout: HER2ST 100 µm, Visium 55 µm; 55 when it does not say)", "UM"),
        new("threshold", "fixed haematoxylin optical-density threshold (default: Otsu's on each region's tissue, within 0.3–1.2)", "OD"),
        new("model", "an ST-AnD model (train --trainer stand): also predict each nucleus' expression (X, one var per gene, log2(1 + counts the nucleus contributes to a spot); see docs/STAND.md)", "FILE"),
        new("map", "with --model: also write a PNG of one gene's per-nucleus prediction over the H&E (a disc per nucleus, viridis)", "FILE"),
        new("map-gene", "the gene --map draws (default: the model's first gene)", "GENE"),
        new("overlay", $"also write a PNG of the detected centroids (green) and spot disks (yellow) over a {OverlaySide} px crop of the H&E around the spot with most nuclei", "FILE"),
        .. SectionReader.ImageOptions,
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string input = args.Require("input");
        string output = args.Get("output", "nuclei.h5ad")!;
        bool h5ad = output.EndsWith(".h5ad", StringComparison.OrdinalIgnoreCase);
        if (!h5ad && !output.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"'--output {output}': the extension must be .h5ad or .csv");
        double? diameterOption = args.GetDouble("spot-diameter-um");
        if (diameterOption is { } d && !(d > 0)) throw new UsageException($"'--spot-diameter-um {d}': must be a positive number of micrometres");
        double? threshold = args.GetDouble("threshold");
        if (threshold is { } t && !(t is > 0 and < 2.5)) throw new UsageException($"'--threshold {t}': must lie in (0, 2.5) optical density");
        string? overlay = args.Get("overlay");
        if (overlay is not null && !overlay.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"'--overlay {overlay}': the extension must be .png");
        OutputPaths.CheckFile("output", output);
        if (overlay is not null) OutputPaths.CheckFile("overlay", overlay);
        bool wholeTissue = args.Flag("whole-tissue");
        var log = Console.Error;
        string? modelPath = args.Get("model");
        if (modelPath is not null && !File.Exists(modelPath)) throw new UsageException($"'--model {modelPath}': no such file");
        var stand = modelPath is null ? default : LoadStAnd(modelPath);
        string? map = args.Get("map");
        if (map is not null && modelPath is null) throw new UsageException("--map draws a model's predictions: give --model");
        if (map is not null && !map.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new UsageException($"'--map {map}': the extension must be .png");
        if (map is not null) OutputPaths.CheckFile("map", map);
        string[]? modelGenes = stand.Model is null ? null : stand.Model.Genes?.ToArray() ?? Enumerable.Range(0, stand.Model.GeneCount).Select(g => $"gene_{g}").ToArray();
        string? mapGene = args.Get("map-gene") ?? modelGenes?[0];
        if (map is not null && !modelGenes!.Contains(mapGene!))
            throw new UsageException($"'--map-gene {mapGene}': the model does not predict it (genes: {string.Join(", ", modelGenes!.Take(10))}{(modelGenes!.Length > 10 ? ", ..." : "")})");

        string? sample = args.Get("sample");
        var section = SectionReader.LoadSection(input, requireCounts: false, args.GetDouble("mpp"), log, args.Get("image"), sample);
        var data = section.Data;
        var image = data.Schema.Find(SpotColumns.Image) is null ? null
            : ((SlideReference?[])data.GetColumnArray(SpotColumns.Image)).FirstOrDefault(i => i is not null);
        if (image is null) throw new UsageException($"'{input}' has no H&E image (give --image)");
        string[] barcodes = (string[])data.GetColumnArray(SpotColumns.Barcode);
        var xs = Numbers(data.GetColumnArray(SpotColumns.PixelX));
        var ys = Numbers(data.GetColumnArray(SpotColumns.PixelY));
        double diameterMicrons = diameterOption ?? section.SpotDiameterMicrons ?? SpatialLibraries.DefaultSpotDiameterMicrons;

        var detector = new NucleusDetector(new NucleusDetectionOptions(Threshold: threshold));
        var progress = new ConsoleProgressReporter();
        var clock = Stopwatch.StartNew();
        IReadOnlyList<Nucleus> nuclei;
        double mpp;
        using (var slide = Open(image.Path))
        {
            mpp = image.MicronsPerPixel ?? section.MicronsPerPixel ?? slide.MicronsPerPixel
                ?? throw new UsageException($"µm per pixel of '{image.Path}' is unknown: give --mpp");
            var spots = new SpotDisks(xs.Zip(ys).ToArray(), diameterMicrons / mpp);
            try
            {
                if (wholeTissue)
                {
                    nuclei = detector.DetectWholeTissue(slide, mpp, spots, progress);
                }
                else
                {
                    using var scope = progress.Start("detecting nuclei in spots", spots.Count);
                    nuclei = detector.DetectInSpots(slide, mpp, spots, scope);
                }
            }
            catch (Exception e) when (SlideErrors.IsDecodeFailure(e))
            {
                throw SlideErrors.Corrupt(image.Path, e);
            }
            if (overlay is not null) WriteOverlay(slide, nuclei, spots, overlay);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        float[]? expression = null;
        if (stand.Model is not null)
        {
            var scoring = Stopwatch.StartNew();
            using (var slide = Open(image.Path)) expression = Score(stand.Model, stand.Crops, slide, mpp, nuclei, progress);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"predicted {stand.Model.GeneCount} genes for {nuclei.Count} nuclei in {scoring.Elapsed.TotalSeconds:0.00} s with {modelPath}"));
            if (!h5ad) Console.WriteLine("note: the CSV holds the nuclei table only; write .h5ad for the per-nucleus predictions");
        }

        string library = SectionReader.NameOf(input, sample);
        var perSpot = new int[barcodes.Length];
        foreach (var n in nuclei) if (n.SpotIndex >= 0) perSpot[n.SpotIndex]++;
        if (h5ad)
        {
            double medianDiameter = nuclei.Count == 0 ? 8 : Median(nuclei.Select(n => n.DiameterMicrons));
            // scanpy draws each obs as a disc of spot_diameter_fullres: here a nucleus of the median size.
            var spatial = SpatialLibraries.FromImage(image.Path, library, mpp, medianDiameter, "median equivalent diameter of the detected nuclei");
            var provenance = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["detector"] = "colour deconvolution (Ruifrok-Johnston H&E) + Otsu threshold + distance transform + seeded watershed",
                ["mode"] = wholeTissue ? "whole tissue" : "inside spots",
                ["spot_diameter_um"] = diameterMicrons,
                ["microns_per_pixel"] = mpp,
                ["working_microns_per_pixel"] = Math.Max(mpp, detector.Options.WorkingMicronsPerPixel),
                ["threshold"] = threshold is { } fixedThreshold ? fixedThreshold.ToString("R", CultureInfo.InvariantCulture) : "otsu",
                ["input"] = Path.GetFullPath(input),
                ["created_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["mlnetstem_version"] = PredictionProvenance.CurrentVersion,
            };
            if (stand.Model is not null)
            {
                provenance["model"] = Path.GetFullPath(modelPath!);
                provenance["X"] = "ST-AnD per-nucleus prediction: log2(1 + c), c the counts one such nucleus contributes to a spot made of nuclei like it " +
                    "(the spot prediction of n copies is log2(1 + n·c)); same units as the spot labels, log2(x + 1) of the panel";
            }
            NucleusTableWriter.WriteH5ad(nuclei, barcodes, output, spatial, provenance, expression, modelGenes);
        }
        else
        {
            NucleusTableWriter.WriteCsv(nuclei, barcodes, output);
        }
        int inSpots = nuclei.Count(n => n.SpotIndex >= 0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {nuclei.Count} nuclei to {output}: {inSpots} inside {barcodes.Length} spots of {diameterMicrons:0.#} µm " +
            $"(median {Median(perSpot.Select(c => (double)c)):0.#} per spot, range {(perSpot.Length == 0 ? 0 : perSpot.Min())}–{(perSpot.Length == 0 ? 0 : perSpot.Max())})"));
        string rate = wholeTissue ? "whole tissue" : string.Create(CultureInfo.InvariantCulture, $"{barcodes.Length / Math.Max(seconds, 1e-9):0.0} spots/s");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"detected in {seconds:0.00} s: {nuclei.Count / Math.Max(seconds, 1e-9):0} nuclei/s, {rate}, at {mpp:0.###} µm/px"));
        if (overlay is not null) Console.WriteLine($"wrote {overlay}");
        if (map is not null && expression is not null && nuclei.Count > 0)
        {
            int g = Array.IndexOf(modelGenes!, mapGene), genes = modelGenes!.Length;
            var values = Enumerable.Range(0, nuclei.Count).Select(i => expression[i * genes + g]).ToArray();
            var (thumbnail, scale) = ImageThumbnail.Read(image.Path, 2400);
            var layout = SpotLayout.Create(nuclei.Select(n => n.X).ToArray(), nuclei.Select(n => n.Y).ToArray(), scale, (thumbnail.Width, thumbnail.Height));
            PngEncoder.Save(SpotMap.Draw(thumbnail, layout, values, SpotMap.RobustRange(values), Colormap.Viridis), map);
            Console.WriteLine($"wrote {map} ({mapGene} per nucleus)");
        }
        return 0;
    }

    /// <summary>The ST-AnD trainer of a saved pipeline and the crop settings it was trained with.</summary>
    private static (StAndTransformer? Model, LoadNucleusCropsOptions Crops) LoadStAnd(string path)
    {
        var model = new MLContext(1).SpatialExpression().LoadModel(path, out _);
        IEnumerable<ITransformer> steps = model as IEnumerable<ITransformer> ?? [model];
        var stand = steps.OfType<StAndTransformer>().LastOrDefault()
            ?? throw new UsageException($"'--model {path}' holds no ST-AnD model (train one with --trainer stand)");
        var crops = steps.OfType<LoadNucleusCropsTransformer>().LastOrDefault()?.Options ?? new LoadNucleusCropsOptions();
        return (stand, crops);
    }

    /// <summary>Each nucleus' crop (as the model's LoadNucleusCrops cut them) through the model, a chunk of nuclei at a time.</summary>
    private static float[] Score(StAndTransformer model, LoadNucleusCropsOptions crops, ISlide slide, double mpp, IReadOnlyList<Nucleus> nuclei,
        IProgressReporter progress)
    {
        const int chunk = 512;
        int length = NucleusCrops.Length(crops.CropPixels), g = model.GeneCount;
        double cropMpp = crops.MicronsPerPixel ?? mpp;
        var result = new float[nuclei.Count * g];
        var buffer = new float[chunk * length];
        using var scope = progress.Start("predicting nuclei expression", nuclei.Count);
        for (int start = 0; start < nuclei.Count; start += chunk)
        {
            int m = Math.Min(chunk, nuclei.Count - start);
            try
            {
                Parallel.For(0, m, ComputeThreads.ParallelOptions, i => NucleusCrops.Read(slide, cropMpp, nuclei[start + i].X, nuclei[start + i].Y,
                    crops.CropMicrons, crops.CropPixels, buffer.AsSpan(i * length, length)));
            }
            catch (AggregateException e)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(SlideErrors.Unwrap(e));
            }
            model.PredictNuclei(buffer.AsSpan(0, m * length), m).CopyTo(result, start * g);
            scope.Advance(m);
        }
        return result;
    }

    private static ISlide Open(string path)
    {
        try
        {
            return SlideOpener.Open(path);
        }
        catch (Exception e) when (SlideErrors.IsDecodeFailure(e))
        {
            throw SlideErrors.Corrupt(path, e);
        }
    }

    private static double[] Numbers(Array values) => values switch
    {
        double[] d => d,
        float[] f => Array.ConvertAll(f, x => (double)x),
        int[] i => Array.ConvertAll(i, x => (double)x),
        _ => throw new InvalidDataException($"spot coordinates of type {values.GetType().Name} are not numbers"),
    };

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return 0;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>
    /// The H&amp;E around the spot with most nuclei (the nuclei's middle when none is in a spot): a green cross per centroid,
    /// a yellow circle per spot disk.
    /// </summary>
    private static void WriteOverlay(ISlide slide, IReadOnlyList<Nucleus> nuclei, SpotDisks spots, string path)
    {
        var full = slide.Levels[0];
        var busiest = nuclei.Where(n => n.SpotIndex >= 0).GroupBy(n => n.SpotIndex).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).FirstOrDefault();
        var (cx, cy) = busiest is not null ? spots.Centre(busiest.Key)
            : nuclei.Count > 0 ? (Median(nuclei.Select(n => n.X)), Median(nuclei.Select(n => n.Y))) : (full.Width / 2.0, full.Height / 2.0);
        int width = Math.Min(OverlaySide, full.Width), height = Math.Min(OverlaySide, full.Height);
        int left = Math.Clamp((int)cx - width / 2, 0, full.Width - width), top = Math.Clamp((int)cy - height / 2, 0, full.Height - height);
        var rgb = new byte[width * height * 3];
        slide.ReadRgb(0, left, top, width, height, rgb);
        // Each spot's disk as a yellow circle, so parent spots can be checked by eye.
        for (int s = 0; s < spots.Count; s++)
        {
            var (sx, sy) = spots.Centre(s);
            double radius = spots.DiameterPixels / 2;
            for (int k = 0; k < 2048; k++)
            {
                int x = (int)Math.Round(sx + radius * Math.Cos(k * Math.PI / 1024)) - left, y = (int)Math.Round(sy + radius * Math.Sin(k * Math.PI / 1024)) - top;
                if (x >= 0 && y >= 0 && x < width && y < height)
                    (rgb[(y * width + x) * 3], rgb[(y * width + x) * 3 + 1], rgb[(y * width + x) * 3 + 2]) = ((byte)255, (byte)215, (byte)0);
            }
        }
        foreach (var n in nuclei)
        {
            int x0 = (int)Math.Round(n.X) - left, y0 = (int)Math.Round(n.Y) - top;
            for (int k = -3; k <= 3; k++)
                foreach (var (x, y) in new[] { (x0 + k, y0), (x0, y0 + k) })
                    if (x >= 0 && y >= 0 && x < width && y < height)
                        (rgb[(y * width + x) * 3], rgb[(y * width + x) * 3 + 1], rgb[(y * width + x) * 3 + 2]) = ((byte)0, (byte)230, (byte)0);
        }
        PngEncoder.Save(new RgbImage(width, height, rgb), path);
    }
}
