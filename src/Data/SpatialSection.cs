namespace MlNetStem.Data;

/// <summary>A loaded section of any supported layout: the spot table plus what loading dropped or changed.</summary>
/// <param name="Data">
/// Columns <see cref="SpotColumns.Barcode"/>, <see cref="SpotColumns.PixelX"/>, <see cref="SpotColumns.PixelY"/>
/// (pixels of the image in <see cref="SpotColumns.Image"/>), <see cref="SpotColumns.Image"/>, <see cref="SpotColumns.ArrayX"/>
/// and <see cref="SpotColumns.ArrayY"/> when the layout has array positions, and <see cref="SpotColumns.Counts"/> when it has counts.
/// </param>
/// <param name="Format">The layout it was read from.</param>
/// <param name="Source">The file or folder it was read from.</param>
/// <param name="MicronsPerPixel">Pixel size of the image; null when unknown (physical patch sizes then fail with a clear error).</param>
/// <param name="Dropped">Rows left out by joins and filters, with counts (never silent).</param>
/// <param name="Notes">Other changes worth reporting (renamed duplicate genes, absent requested genes, image choice).</param>
public sealed record SpatialSection(
    InMemoryDataView Data,
    SectionFormat Format,
    string Source,
    double? MicronsPerPixel,
    IReadOnlyList<string> Dropped,
    IReadOnlyList<string> Notes)
{
    /// <summary>
    /// Diameter of one spot in micrometres when the layout says (HER2ST/ST 100 µm, Visium 55 µm, HEST from its metadata);
    /// null when unknown. scanpy draws spots at this size (<c>spot_diameter_fullres</c> = diameter / µm per pixel).
    /// </summary>
    public double? SpotDiameterMicrons { get; init; }
}
