using MlNetStem.Imaging;

namespace MlNetStem.Transforms.Imaging;

/// <summary>Options of <see cref="DetectNucleiEstimator"/>.</summary>
/// <param name="OutputColumn">Nucleus column to write: <c>[MaxNuclei, F]</c> floats, one row per nucleus in the order of
/// <see cref="DetectNucleiTransformer.FeatureNames"/>, nearest the spot centre first; zero rows past the spot's nuclei.</param>
/// <param name="ImageColumn">Image reference column.</param>
/// <param name="XColumn">Spot centre x (level-0 pixels).</param>
/// <param name="YColumn">Spot centre y (level-0 pixels).</param>
/// <param name="MaskColumn">Column to write: <c>[MaxNuclei]</c>, 1 for a nucleus row of <paramref name="OutputColumn"/>, 0 for padding.</param>
/// <param name="CountColumn">Column to write: the number of nuclei in the spot (float; may exceed <paramref name="MaxNuclei"/>).</param>
/// <param name="MaxNuclei">Nuclei kept per spot (the nearest the centre when a spot holds more).</param>
/// <param name="SpotDiameterMicrons">Diameter of the spot's disk (HER2ST/ST 100 µm, Visium 55 µm).</param>
/// <param name="MicronsPerPixel">Overrides the pixel size of the image reference and the file.</param>
/// <param name="Detection">Detector parameters; null for <see cref="NucleusDetectionOptions"/>' defaults.</param>
public sealed record DetectNucleiOptions(
    string OutputColumn = "Nuclei",
    string ImageColumn = "Image",
    string XColumn = "PixelX",
    string YColumn = "PixelY",
    string MaskColumn = "NucleusMask",
    string CountColumn = "NucleusCount",
    int MaxNuclei = 128,
    double SpotDiameterMicrons = 55,
    double? MicronsPerPixel = null,
    NucleusDetectionOptions? Detection = null)
{
    /// <summary>Most nuclei per spot a column may hold (a 100 µm spot of dense tissue holds a few hundred).</summary>
    public const int MaxMaxNuclei = 4096;

    /// <summary>Checks the values once, when the estimator is built.</summary>
    /// <exception cref="ArgumentException">Out-of-range values or clashing column names.</exception>
    public void Validate()
    {
        foreach (var name in new[] { OutputColumn, ImageColumn, XColumn, YColumn, MaskColumn, CountColumn })
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (new[] { OutputColumn, MaskColumn, CountColumn }.Distinct(StringComparer.Ordinal).Count() != 3)
            throw new ArgumentException($"The nucleus, mask and count columns need three names, got '{OutputColumn}', '{MaskColumn}', '{CountColumn}'.");
        if (MaxNuclei is < 1 or > MaxMaxNuclei) throw new ArgumentException($"MaxNuclei must be 1–{MaxMaxNuclei}, got {MaxNuclei}.");
        if (!(SpotDiameterMicrons > 0) || !double.IsFinite(SpotDiameterMicrons))
            throw new ArgumentException($"Spot diameter must be a positive number of micrometres, got {SpotDiameterMicrons}.");
        if (MicronsPerPixel is { } m && (!(m > 0) || !double.IsFinite(m))) throw new ArgumentException($"Microns per pixel must be positive, got {m}.");
        (Detection ?? new NucleusDetectionOptions()).Validate();
    }
}
