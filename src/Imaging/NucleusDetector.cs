using System.Globalization;
using System.Runtime.ExceptionServices;

namespace MlNetStem.Imaging;

/// <summary>
/// Finds cell nuclei in H&amp;E without a trained model. Per region, at about <see cref="NucleusDetectionOptions.WorkingMicronsPerPixel"/>:
/// libvips maps each 8-bit channel to optical density (<c>maplut</c>), unmixes haematoxylin by Ruifrok–Johnston colour
/// deconvolution (<c>recomb</c> with <see cref="StainVectors.HaematoxylinFromOpticalDensity"/>), smooths it
/// (<c>gaussblur</c>), finds Otsu's threshold over the tissue's histogram (<c>relational_const</c>, <c>boolean</c>,
/// <c>hist_find</c>), thresholds and opens the mask (<c>morph</c>) and labels its components (<c>labelregions</c>); then
/// C# takes the exact distance transform of the mask, seeds one nucleus per distance peak (peaks joined by a ridge rather
/// than a neck are one nucleus) and floods a seeded watershed that splits touching nuclei. Each nucleus gets its
/// centroid in level-0 pixels, area, equivalent diameter and mean haematoxylin optical density.
/// <para>
/// Memory stays bounded whatever the slide: work is done region by region (a spot's disk, or tiles of
/// <see cref="NucleusDetectionOptions.TileMicrons"/> with a margin, each nucleus kept by the one tile that holds its
/// centroid). Thread-safe; regions are processed in parallel up to <see cref="ComputeThreads.Count"/>.
/// </para>
/// </summary>
public sealed class NucleusDetector
{
    /// <summary>Most pixels one region may read (a guard before allocating; tiles and spot disks are far smaller).</summary>
    public const long MaxRegionPixels = 16L * 1024 * 1024;

    /// <summary>Creates a detector.</summary>
    /// <exception cref="ArgumentException">Invalid options (the message names the value).</exception>
    public NucleusDetector(NucleusDetectionOptions? options = null)
    {
        options ??= new NucleusDetectionOptions();
        options.Validate();
        Options = options;
    }

    /// <summary>The options in force.</summary>
    public NucleusDetectionOptions Options { get; }

    /// <summary>Nuclei of an in-memory RGB image; coordinates are the image's pixels.</summary>
    /// <param name="image">The H&amp;E raster.</param>
    /// <param name="micronsPerPixel">Its pixel size.</param>
    /// <exception cref="ArgumentException">A pixel size that is not a positive number.</exception>
    /// <exception cref="VipsException">libvips failed.</exception>
    public IReadOnlyList<Nucleus> Detect(RgbImage image, double micronsPerPixel)
    {
        ArgumentNullException.ThrowIfNull(image);
        return DetectRegion(new RasterSlide(image, micronsPerPixel), micronsPerPixel, 0, 0, image.Width, image.Height);
    }

    /// <summary>
    /// Nuclei whose centroid lies in a rectangle of a slide (level-0 pixels), sorted by y then x. Pixels around the
    /// rectangle are read too, so a nucleus cut by its edge is measured whole.
    /// </summary>
    /// <exception cref="ArgumentException">An empty rectangle, one that lies wholly outside the slide, or a bad pixel size.</exception>
    /// <exception cref="IOException">The slide could not be decoded.</exception>
    public IReadOnlyList<Nucleus> DetectRegion(ISlide slide, double micronsPerPixel, int left, int top, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(slide);
        CheckPixelSize(micronsPerPixel);
        CheckRegion(slide, left, top, width, height);
        int tile = TilePixels(micronsPerPixel);
        var result = new List<Nucleus>();
        for (int y = top; y < top + height; y += tile)
            for (int x = left; x < left + width; x += tile)
                result.AddRange(DetectTile(slide, micronsPerPixel, x, y, Math.Min(tile, left + width - x), Math.Min(tile, top + height - y)));
        return Sorted(result);
    }

    /// <summary>
    /// Nuclei whose centroid lies in one spot's disk, sorted by y then x, each with <see cref="Nucleus.SpotIndex"/> =
    /// <paramref name="spotIndex"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A non-finite centre, a bad diameter or pixel size, or a disk wholly outside the slide.</exception>
    /// <exception cref="IOException">The slide could not be decoded.</exception>
    public IReadOnlyList<Nucleus> DetectInSpot(ISlide slide, double micronsPerPixel, double centreX, double centreY, double diameterPixels, int spotIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(slide);
        CheckPixelSize(micronsPerPixel);
        var disks = new SpotDisks([(centreX, centreY)], diameterPixels);
        return InDisk(slide, micronsPerPixel, disks, 0).Select(n => n with { SpotIndex = spotIndex }).ToArray();
    }

    /// <summary>
    /// Nuclei inside the spots' disks, in spot order (then by y, x), each with its <see cref="Nucleus.SpotIndex"/>; a
    /// nucleus in two overlapping disks belongs to the nearer spot only.
    /// </summary>
    /// <param name="slide">The section's slide.</param>
    /// <param name="micronsPerPixel">Its level-0 pixel size.</param>
    /// <param name="spots">The spots, in level-0 pixels.</param>
    /// <param name="progress">Advanced by one per spot.</param>
    /// <exception cref="ArgumentException">A bad pixel size.</exception>
    /// <exception cref="IOException">The slide could not be decoded.</exception>
    public IReadOnlyList<Nucleus> DetectInSpots(ISlide slide, double micronsPerPixel, SpotDisks spots, IProgressScope? progress = null)
    {
        ArgumentNullException.ThrowIfNull(slide);
        ArgumentNullException.ThrowIfNull(spots);
        CheckPixelSize(micronsPerPixel);
        var perSpot = new IReadOnlyList<Nucleus>[spots.Count];
        var full = slide.Levels[0];
        RunParallel(spots.Count, s =>
        {
            var (x, y) = spots.Centre(s);
            double r = spots.DiameterPixels / 2;
            // A spot wholly off the image holds no nuclei (the spot table, not the image, is at fault; loaders report it).
            perSpot[s] = x + r < 0 || y + r < 0 || x - r >= full.Width || y - r >= full.Height ? [] : InDisk(slide, micronsPerPixel, spots, s);
            progress?.Advance();
        });
        return perSpot.SelectMany(n => n).ToArray();
    }

    /// <summary>
    /// Every nucleus of the slide's tissue, sorted by y then x: the tissue mask (<see cref="TissueMask"/>) picks the tiles
    /// worth reading. With <paramref name="spots"/>, nuclei inside a spot's disk get its index; the others keep -1.
    /// </summary>
    /// <param name="slide">The section's slide.</param>
    /// <param name="micronsPerPixel">Its level-0 pixel size.</param>
    /// <param name="spots">Spots to assign nuclei to, or null.</param>
    /// <param name="progress">Told the number of tiles, advanced by one per tile.</param>
    /// <exception cref="ArgumentException">A bad pixel size.</exception>
    /// <exception cref="IOException">The slide could not be decoded.</exception>
    public IReadOnlyList<Nucleus> DetectWholeTissue(ISlide slide, double micronsPerPixel, SpotDisks? spots = null, IProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(slide);
        CheckPixelSize(micronsPerPixel);
        var mask = TissueMask.Compute(slide);
        int tile = TilePixels(micronsPerPixel);
        var full = slide.Levels[0];
        var tiles = new List<(int X, int Y)>();
        for (int y = 0; y < full.Height; y += tile)
            for (int x = 0; x < full.Width; x += tile)
                if (mask.TissueFraction(x + tile / 2.0, y + tile / 2.0, tile) > 0) tiles.Add((x, y));
        var perTile = new IReadOnlyList<Nucleus>[tiles.Count];
        using (var scope = progress?.Start("detecting nuclei", tiles.Count))
        {
            RunParallel(tiles.Count, t =>
            {
                var (x, y) = tiles[t];
                perTile[t] = DetectTile(slide, micronsPerPixel, x, y, Math.Min(tile, full.Width - x), Math.Min(tile, full.Height - y));
                scope?.Advance();
            });
        }
        var all = perTile.SelectMany(n => n);
        if (spots is not null) all = all.Select(n => n with { SpotIndex = spots.Find(n.X, n.Y) });
        return Sorted(all.ToList());
    }

    private IReadOnlyList<Nucleus> InDisk(ISlide slide, double mpp, SpotDisks spots, int s)
    {
        var (x, y) = spots.Centre(s);
        double r = spots.DiameterPixels / 2;
        if (!double.IsFinite(x) || !double.IsFinite(y)) throw new ArgumentException($"Spot centre ({x}, {y}) is not finite.");
        int left = (int)Math.Floor(x - r), top = (int)Math.Floor(y - r);
        int size = (int)Math.Ceiling(2 * r) + 2;
        CheckRegion(slide, left, top, size, size);
        return Sorted(DetectTile(slide, mpp, left, top, size, size).Where(n => spots.Find(n.X, n.Y) == s).Select(n => n with { SpotIndex = s }).ToList());
    }

    /// <summary>Nuclei whose centroid lies in the core rectangle; the region read extends a margin around it.</summary>
    private List<Nucleus> DetectTile(ISlide slide, double mpp, int left, int top, int width, int height)
    {
        double smoothing = Options.SmoothingMicrons / mpp;
        int margin = (int)Math.Ceiling((1.5 * Options.MaxRadiusMicrons) / mpp + 3 * smoothing) + 1;
        double downsample = Math.Max(1, Options.WorkingMicronsPerPixel / mpp);
        int level = PatchSampler.SelectLevel(slide.Levels, downsample);
        double d = slide.Levels[level].Downsample;
        int lx = (int)Math.Floor((left - margin) / d), ly = (int)Math.Floor((top - margin) / d);
        int lw = (int)Math.Ceiling((left + width + margin) / d) - lx, lh = (int)Math.Ceiling((top + height + margin) / d) - ly;
        if ((long)lw * lh > MaxRegionPixels)
            throw new ArgumentException($"A region of {lw}×{lh} px is more than the {MaxRegionPixels} px one read may take; use smaller tiles.");
        var rgb = new byte[lw * lh * 3];
        slide.ReadRgb(level, lx, ly, lw, lh, rgb);

        using var scope = new VipsScope();
        IntPtr image = scope.FromBytes(rgb, lw, lh, 3);
        double shrink = d / downsample;   // < 1 when the level read is finer than the working resolution
        if (shrink < 0.99) image = scope.Run("resize", image, $"scale={VipsScope.Number(shrink)}");
        var (ww, wh, _) = VipsScope.SizeOf(image);
        double pixelX = lw * d / ww, pixelY = lh * d / wh;   // level-0 pixels per working pixel
        double workingMpp = mpp * Math.Sqrt(pixelX * pixelY);

        var nuclei = new List<Nucleus>();
        foreach (var blob in Segment(scope, image, ww, wh, workingMpp))
        {
            // Pixel index i covers level-0 [o + i·p, o + (i + 1)·p); its centre in level-0 index coordinates is o + (i + ½)·p − ½.
            double x = lx * d + (blob.CentroidX + 0.5) * pixelX - 0.5, y = ly * d + (blob.CentroidY + 0.5) * pixelY - 0.5;
            if (x < left - 0.5 || x >= left + width - 0.5 || y < top - 0.5 || y >= top + height - 0.5) continue;
            double area = blob.Area * workingMpp * workingMpp;
            nuclei.Add(new Nucleus(x, y, area, 2 * Math.Sqrt(area / Math.PI), blob.MeanValue));
        }
        return nuclei;
    }

    /// <summary>The libvips part (stain unmixing to the labelled mask), then the C# part (distance transform, seeds, watershed).</summary>
    private List<NucleusSegmentation.Blob> Segment(VipsScope scope, IntPtr rgb, int width, int height, double mpp)
    {
        // Values are kept as 8-bit hundredths of optical density (0–2.55): enough for thresholds, and hist_find's input.
        const double Scale = 100;
        Span<double> lut = stackalloc double[256];
        for (int v = 0; v < 256; v++) lut[v] = StainVectors.OpticalDensity(v);
        var h = StainVectors.HaematoxylinFromOpticalDensity;
        IntPtr od = scope.Run("maplut", rgb, null, ("lut", scope.Matrix(256, 1, lut)));
        IntPtr stains = scope.Run("recomb", od, null,
            ("m", scope.Matrix(3, 2, [Scale * h[0], Scale * h[1], Scale * h[2], Scale / 3, Scale / 3, Scale / 3])));
        IntPtr raw = scope.Run("cast", scope.Run("extract_band", stains, "band=0"), "format=uchar");
        double sigma = Options.SmoothingMicrons / mpp;
        IntPtr smooth = sigma >= 0.2 ? scope.Run("gaussblur", stains, $"sigma={VipsScope.Number(sigma)}") : stains;
        IntPtr smooth8 = scope.Run("cast", smooth, "format=uchar");
        IntPtr haematoxylin = scope.Run("extract_band", smooth8, "band=0");

        int threshold;
        if (Options.Threshold is { } fixedThreshold)
        {
            threshold = (int)Math.Round(fixedThreshold * Scale);
        }
        else
        {
            IntPtr tissue = scope.Run("relational_const", scope.Run("extract_band", smooth8, "band=1"),
                $"relational=more,c={VipsScope.Number(Options.TissueOpticalDensity * Scale)}");
            IntPtr onTissue = scope.Run("boolean", "left", haematoxylin, "boolean=and", ("right", tissue));
            var histogram = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(scope.ToBytes(scope.Run("hist_find", onTissue), "histogram"));
            int otsu = NucleusSegmentation.Otsu(histogram, from: 1);   // bin 0: glass, and tissue with no haematoxylin
            threshold = (int)Math.Round(Math.Clamp(otsu < 0 ? Options.MinThreshold : otsu / Scale, Options.MinThreshold, Options.MaxThreshold) * Scale);
        }
        IntPtr binary = scope.Run("relational_const", haematoxylin, $"relational=moreeq,c={threshold.ToString(CultureInfo.InvariantCulture)}");
        // Opening with a 3×3 cross: drops specks and one-pixel bridges before the distance transform.
        IntPtr cross = scope.Matrix(3, 3, [128, 255, 128, 255, 255, 255, 128, 255, 128]);
        IntPtr opened = scope.Run("morph", scope.Run("morph", binary, "morph=erode", ("mask", cross)), "morph=dilate", ("mask", cross));
        byte[] mask = scope.ToBytes(opened, "nucleus mask");
        var components = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(scope.ToBytes(scope.RunTo("labelregions", opened, output: "mask"), "labels")).ToArray();
        byte[] stain = scope.ToBytes(raw, "haematoxylin");

        var distance = NucleusSegmentation.DistanceTransform(mask, width, height);
        double minArea = Options.MinAreaMicrons2 / (mpp * mpp), maxArea = Options.MaxAreaMicrons2 / (mpp * mpp);
        var seeds = NucleusSegmentation.Seeds(distance, components, width, height,
            minRadius: 0.5 * Math.Sqrt(minArea / Math.PI), minSeparation: Options.MinSeedDistanceMicrons / mpp,
            saddleRatio: Options.SaddleRatio, reach: 2 * Options.MaxRadiusMicrons / mpp);
        var labels = NucleusSegmentation.Watershed(distance, width, height, seeds);
        return NucleusSegmentation.Measure(labels, width, stain, 1 / Scale, seeds.Count)
            .Where(b => b.Area >= minArea && b.Area <= maxArea).ToList();
    }

    private int TilePixels(double mpp) => Math.Max(64, (int)Math.Round(Options.TileMicrons / mpp));

    private static void CheckPixelSize(double mpp)
    {
        if (!(mpp > 0) || !double.IsFinite(mpp)) throw new ArgumentException($"Microns per pixel must be a positive number, got {mpp}.", nameof(mpp));
    }

    private static void CheckRegion(ISlide slide, int left, int top, int width, int height)
    {
        var full = slide.Levels[0];
        if (width < 1 || height < 1) throw new ArgumentException($"Region size must be positive, got {width}×{height}.");
        if (left >= full.Width || top >= full.Height || (long)left + width <= 0 || (long)top + height <= 0)
            throw new ArgumentException($"Region {width}×{height} at ({left},{top}) lies outside '{slide.Path}' ({full.Width}×{full.Height} px).");
    }

    private static IReadOnlyList<Nucleus> Sorted(List<Nucleus> nuclei)
    {
        nuclei.Sort((a, b) => a.Y != b.Y ? a.Y.CompareTo(b.Y) : a.X.CompareTo(b.X));
        return nuclei;
    }

    /// <summary>Parallel.For capped at <see cref="ComputeThreads"/>, rethrowing a worker's own exception rather than the aggregate.</summary>
    private static void RunParallel(int count, Action<int> body)
    {
        try
        {
            System.Threading.Tasks.Parallel.For(0, count, ComputeThreads.ParallelOptions, body);
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Throw(SlideErrors.Unwrap(e));
        }
    }
}
