namespace MlNetStem.Data;

/// <summary>Options for reading a HER2ST-style section folder.</summary>
/// <param name="MicronsPerPixel">Pixel size of he.jpg; null estimates it from the spot grid.</param>
/// <param name="SpotPitchMicrons">Centre-to-centre distance of adjacent array positions (200 µm on the legacy ST array).</param>
/// <param name="RequireCounts">When false, a folder without counts.tsv.gz loads spots and image only (prediction on unsequenced sections).</param>
/// <param name="DropCountRowsWithoutSpot">
/// When false (default) a count row whose id is missing from spots.tsv is an error; when
/// true such rows are dropped and reported in <see cref="Her2stSection.Dropped"/>.
/// </param>
public sealed record Her2stLoadOptions(
    double? MicronsPerPixel = null,
    double SpotPitchMicrons = 200,
    bool RequireCounts = true,
    bool DropCountRowsWithoutSpot = false);
