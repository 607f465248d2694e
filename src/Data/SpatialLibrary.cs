using MlNetStem.AnnData;

namespace MlNetStem.Data;

/// <summary>
/// One library of scanpy's <c>uns['spatial']</c>, what <c>sc.pl.spatial</c> and squidpy read to draw spots over the
/// tissue: the H&amp;E as two uint8 RGB thumbnails and the factors from full-resolution pixels (the coordinates in
/// <c>obsm['spatial']</c>) to each, plus the spot diameter in full-resolution pixels. The same layout Space Ranger
/// output gets from <c>sc.read_visium</c>.
/// </summary>
/// <param name="LibraryId">The key under <c>uns['spatial']</c> (the section's name).</param>
/// <param name="Hires">The "hires" image, [height, width, 3] uint8 (longer side at most <see cref="HiresMaxSide"/>).</param>
/// <param name="Lowres">The "lowres" image, [height, width, 3] uint8 (longer side at most <see cref="LowresMaxSide"/>).</param>
/// <param name="HiresScale"><c>tissue_hires_scalef</c>: hires pixels per full-resolution pixel.</param>
/// <param name="LowresScale"><c>tissue_lowres_scalef</c>: lowres pixels per full-resolution pixel.</param>
/// <param name="SpotDiameterFullres"><c>spot_diameter_fullres</c>: spot diameter in full-resolution pixels.</param>
public sealed record SpatialLibrary(
    string LibraryId,
    UInt8Array Hires,
    UInt8Array Lowres,
    double HiresScale,
    double LowresScale,
    double SpotDiameterFullres)
{
    /// <summary>Longer side of the hires image, as Space Ranger makes it.</summary>
    public const int HiresMaxSide = 2000;

    /// <summary>Longer side of the lowres image, as Space Ranger makes it.</summary>
    public const int LowresMaxSide = 600;

    /// <summary>Free-text entries written under the library's <c>metadata</c> (e.g. source image, how the diameter was known).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>The library as the value of <c>uns['spatial'][LibraryId]</c>.</summary>
    /// <exception cref="ArgumentException">An image is not [height, width, 3], or a factor is not a positive number.</exception>
    public Dictionary<string, object> ToUns()
    {
        foreach (var (name, image) in new[] { ("hires", Hires), ("lowres", Lowres) })
            if (image.Shape is not [> 0, > 0, 3])
                throw new ArgumentException($"The {name} image of library '{LibraryId}' must be [height, width, 3], got [{string.Join(", ", image.Shape)}].");
        foreach (var (name, value) in new[] { ("tissue_hires_scalef", HiresScale), ("tissue_lowres_scalef", LowresScale), ("spot_diameter_fullres", SpotDiameterFullres) })
            if (!(value > 0) || !double.IsFinite(value))
                throw new ArgumentException($"{name} of library '{LibraryId}' must be a positive number, got {value}.");
        var library = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["images"] = new Dictionary<string, object>(StringComparer.Ordinal) { ["hires"] = Hires, ["lowres"] = Lowres },
            ["scalefactors"] = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["tissue_hires_scalef"] = HiresScale,
                ["tissue_lowres_scalef"] = LowresScale,
                ["spot_diameter_fullres"] = SpotDiameterFullres,
            },
        };
        if (Metadata is { Count: > 0 } metadata)
            library["metadata"] = metadata.ToDictionary(kv => kv.Key, kv => (object)kv.Value, StringComparer.Ordinal);
        return library;
    }

    /// <summary><c>uns['spatial']</c> holding this one library.</summary>
    public Dictionary<string, object> ToSpatialUns() => new(StringComparer.Ordinal) { [LibraryId] = ToUns() };
}
