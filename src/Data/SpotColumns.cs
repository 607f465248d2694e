namespace MlNetStem.Data;

/// <summary>Standard column names produced by the spot loaders.</summary>
public static class SpotColumns
{
    /// <summary>Spot identifier (HER2ST "XxY", Visium barcode).</summary>
    public const string Barcode = "Barcode";
    /// <summary>Array column of the spot.</summary>
    public const string ArrayX = "ArrayX";
    /// <summary>Array row of the spot.</summary>
    public const string ArrayY = "ArrayY";
    /// <summary>Spot centre x in full-resolution image pixels.</summary>
    public const string PixelX = "PixelX";
    /// <summary>Spot centre y in full-resolution image pixels.</summary>
    public const string PixelY = "PixelY";
    /// <summary>Raw UMI counts, one slot per gene (slot names = gene symbols).</summary>
    public const string Counts = "Counts";
    /// <summary>The H&amp;E image the spot lies on.</summary>
    public const string Image = "Image";

    /// <summary>Name of the section a spot comes from, when several sections are combined (text).</summary>
    public const string Section = "Section";
}
