using System.Globalization;
using MlNetStem.AnnData;
using MlNetStem.Data;
using MlNetStem.Imaging;

namespace MlNetStem.Host;

/// <summary>
/// Builds a section's <see cref="SpatialLibrary"/> (scanpy's <c>uns['spatial'][library_id]</c>) from its H&amp;E: hires and
/// lowres thumbnails made by libvips without decoding the full-resolution image, and the scale factors from the pixel
/// coordinates of the spot table.
/// </summary>
public static class SpatialLibraries
{
    /// <summary>Spot diameter used when the layout does not say: a Visium spot, what scanpy's readers assume.</summary>
    public const double DefaultSpotDiameterMicrons = 55;

    /// <summary>
    /// The library of <paramref name="section"/>, named <paramref name="libraryId"/>; null (with a note on
    /// <paramref name="log"/>) when the section has no image or no µm/px, without which the spot size is unknown.
    /// </summary>
    /// <exception cref="IOException">The image cannot be read (<see cref="VipsException"/> naming it).</exception>
    public static SpatialLibrary? FromSection(SpatialSection section, string libraryId, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(section);
        var images = section.Data.Schema.Find(SpotColumns.Image) is null ? [] : (SlideReference?[])section.Data.GetColumnArray(SpotColumns.Image);
        if (images.FirstOrDefault(i => i is not null) is not { } image)
        {
            log.WriteLine($"note: {libraryId}: no image, so no uns['spatial'] for scanpy");
            return null;
        }
        double? fileMpp;
        using (var slide = SlideOpener.Open(image.Path)) fileMpp = slide.MicronsPerPixel;
        if ((image.MicronsPerPixel ?? section.MicronsPerPixel ?? fileMpp) is not { } mpp)
        {
            log.WriteLine($"note: {libraryId}: µm per pixel unknown, so no uns['spatial'] for scanpy (give --mpp)");
            return null;
        }
        double diameter = section.SpotDiameterMicrons ?? DefaultSpotDiameterMicrons;
        string diameterSource = section.SpotDiameterMicrons is null
            ? $"assumed: the layout does not say; {DefaultSpotDiameterMicrons} µm as for Visium"
            : $"from the {section.Format} layout";
        return FromImage(image.Path, libraryId, mpp, diameter, diameterSource);
    }

    /// <summary>
    /// The library of the H&amp;E at <paramref name="imagePath"/>: hires/lowres thumbnails and scale factors, with spots (or
    /// tiles) of <paramref name="spotDiameterMicrons"/> at <paramref name="micronsPerPixel"/>.
    /// </summary>
    /// <exception cref="IOException">The image cannot be read.</exception>
    public static SpatialLibrary FromImage(string imagePath, string libraryId, double micronsPerPixel, double spotDiameterMicrons, string diameterSource)
    {
        int width, height;
        using (var slide = SlideOpener.Open(imagePath)) (width, height) = (slide.Levels[0].Width, slide.Levels[0].Height);
        var (hires, hiresScale) = Thumbnail(imagePath, SpatialLibrary.HiresMaxSide);
        var (lowres, lowresScale) = Thumbnail(imagePath, SpatialLibrary.LowresMaxSide);
        return new SpatialLibrary(libraryId, hires, lowres, hiresScale, lowresScale, spotDiameterMicrons / micronsPerPixel)
        {
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["source_image_path"] = imagePath,
                ["fullres_size"] = string.Create(CultureInfo.InvariantCulture, $"{width}x{height}"),
                ["spot_diameter_um"] = spotDiameterMicrons.ToString("R", CultureInfo.InvariantCulture),
                ["spot_diameter_source"] = diameterSource,
                ["microns_per_pixel"] = micronsPerPixel.ToString("R", CultureInfo.InvariantCulture),
            },
        };
    }

    /// <summary>An RGB thumbnail [h, w, 3] of at most <paramref name="maxSide"/> px and its factor from full-resolution pixels.</summary>
    private static (UInt8Array Image, double Scale) Thumbnail(string path, int maxSide)
    {
        var (thumbnail, scale) = ImageThumbnail.Read(path, maxSide);
        return (new UInt8Array([thumbnail.Height, thumbnail.Width, 3], thumbnail.Pixels), scale);
    }
}
