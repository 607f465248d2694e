namespace MlNetStem.Imaging;

/// <summary>
/// Parameters of <see cref="NucleusDetector"/>, all in physical units so they mean the same at any scan resolution.
/// The defaults suit H&amp;E at 0.25–1 µm/px (docs/NUCLEI.md explains each and how they were chosen).
/// </summary>
/// <param name="WorkingMicronsPerPixel">Resolution detection runs at: finer images are read from a coarser pyramid level or
/// shrunk to it; coarser ones are used as they are (never enlarged: that adds no detail).</param>
/// <param name="SmoothingMicrons">σ of the Gaussian that smooths the haematoxylin optical density before thresholding.</param>
/// <param name="Threshold">Fixed haematoxylin optical-density threshold; null for Otsu's threshold on each region's
/// tissue, kept within [<paramref name="MinThreshold"/>, <paramref name="MaxThreshold"/>].</param>
/// <param name="MinThreshold">Least Otsu threshold: below it, a region with no nuclei would split cytoplasm from stroma.</param>
/// <param name="MaxThreshold">Greatest Otsu threshold: above it, a region dense with nuclei would lose the paler ones.</param>
/// <param name="TissueOpticalDensity">Mean optical density (over R, G, B) above which a pixel is tissue, for the Otsu histogram.</param>
/// <param name="MinAreaMicrons2">Smaller objects are debris, not nuclei.</param>
/// <param name="MaxAreaMicrons2">Larger objects (clumps that did not split, folds, ink) are dropped.</param>
/// <param name="MinSeedDistanceMicrons">Two nuclei centres are never closer than this.</param>
/// <param name="SaddleRatio">Two distance-transform peaks are separate nuclei when the distance transform along the line
/// between them dips below this fraction of the lower peak (a neck); otherwise they are one elongated nucleus.</param>
/// <param name="TileMicrons">Side of the tiles a whole-tissue scan is cut into.</param>
public sealed record NucleusDetectionOptions(
    double WorkingMicronsPerPixel = 0.5,
    double SmoothingMicrons = 0.5,
    double? Threshold = null,
    double MinThreshold = 0.3,
    double MaxThreshold = 1.2,
    double TissueOpticalDensity = 0.12,
    double MinAreaMicrons2 = 10,
    double MaxAreaMicrons2 = 400,
    double MinSeedDistanceMicrons = 3,
    double SaddleRatio = 0.85,
    double TileMicrons = 512)
{
    /// <summary>Radius of the largest nucleus kept, in micrometres (of a disc of <see cref="MaxAreaMicrons2"/>).</summary>
    public double MaxRadiusMicrons => Math.Sqrt(MaxAreaMicrons2 / Math.PI);

    /// <summary>Checks the values once, when a detector is built.</summary>
    /// <exception cref="ArgumentException">A value out of its range (the message names it).</exception>
    public void Validate()
    {
        Positive(WorkingMicronsPerPixel, nameof(WorkingMicronsPerPixel));
        if (!(SmoothingMicrons >= 0) || !double.IsFinite(SmoothingMicrons))
            throw new ArgumentException($"{nameof(SmoothingMicrons)} must be a number ≥ 0, got {SmoothingMicrons}.");
        if (Threshold is { } t && !(t > 0 && t < 2.5)) throw new ArgumentException($"{nameof(Threshold)} must lie in (0, 2.5) optical density, got {t}.");
        if (!(MinThreshold > 0 && MinThreshold <= MaxThreshold && MaxThreshold < 2.5))
            throw new ArgumentException($"Otsu bounds must satisfy 0 < {nameof(MinThreshold)} ≤ {nameof(MaxThreshold)} < 2.5, got {MinThreshold} and {MaxThreshold}.");
        if (!(TissueOpticalDensity is > 0 and < 2.5)) throw new ArgumentException($"{nameof(TissueOpticalDensity)} must lie in (0, 2.5), got {TissueOpticalDensity}.");
        Positive(MinAreaMicrons2, nameof(MinAreaMicrons2));
        if (!(MaxAreaMicrons2 > MinAreaMicrons2) || !double.IsFinite(MaxAreaMicrons2))
            throw new ArgumentException($"{nameof(MaxAreaMicrons2)} must exceed {nameof(MinAreaMicrons2)} ({MinAreaMicrons2}), got {MaxAreaMicrons2}.");
        Positive(MinSeedDistanceMicrons, nameof(MinSeedDistanceMicrons));
        if (!(SaddleRatio is > 0 and <= 1)) throw new ArgumentException($"{nameof(SaddleRatio)} must lie in (0, 1], got {SaddleRatio}.");
        if (!(TileMicrons >= 8 * MaxRadiusMicrons) || !double.IsFinite(TileMicrons))
            throw new ArgumentException($"{nameof(TileMicrons)} must be at least 8 radii of the largest nucleus ({8 * MaxRadiusMicrons:0.#} µm), got {TileMicrons}.");
    }

    private static void Positive(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value)) throw new ArgumentException($"{name} must be a positive number, got {value}.");
    }
}
