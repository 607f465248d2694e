using MlNetStem.Data;

namespace MlNetStem.Transforms.Context;

/// <summary>
/// The spacing of the spots a context was fitted on: the median distance from a spot to its nearest spot of the same
/// section, in micrometres. A dense map tiles the tissue finer than that, and takes each tile's context from the tiles
/// one pitch apart so that "the 9 nearest spots" covers the same tissue as in training.
/// </summary>
internal static class SpotPitch
{
    /// <summary>Spots per section whose nearest neighbour is searched (evenly spaced in row order): bounds the O(n²) search.</summary>
    private const int MaxQueries = 2000;

    /// <summary>The median nearest-spot distance (µm; pixels where µm/px is unknown), or null with fewer than 2 spots in every section.</summary>
    public static double? MedianNearestMicrons(IDataView view, NeighbourContextOptions o)
    {
        bool hasImage = view.Schema.Find(o.ImageColumn) is { Type: SlideDataViewType };
        bool hasSection = view.Schema.Find(o.SectionColumn) is { Type.Kind: ColumnKind.Text };
        string[] columns = [o.XColumn, o.YColumn, .. hasImage ? [o.ImageColumn] : Array.Empty<string>(), .. hasSection ? [o.SectionColumn] : Array.Empty<string>()];
        var spots = new List<(string Section, double X, double Y, double Mpp)>();
        foreach (var batch in view.ReadBatches(columns, 1024))
        {
            var x = batch.GetNumbersAsDoubles(o.XColumn);
            var y = batch.GetNumbersAsDoubles(o.YColumn);
            var keys = SpotNeighbourhoods.SectionKeys(batch, o, hasImage, hasSection).ToArray();
            var mpp = hasImage ? batch.GetImages(o.ImageColumn).Select(s => s?.MicronsPerPixel ?? 1).ToArray() : null;
            for (int r = 0; r < batch.RowCount; r++) spots.Add((keys[r], x[r], y[r], mpp?[r] ?? 1));
        }
        var distances = new List<double>();
        foreach (var section in spots.GroupBy(s => s.Section, StringComparer.Ordinal).Select(g => g.ToArray()))
        {
            if (section.Length < 2) continue;
            int step = Math.Max(1, section.Length / MaxQueries);
            for (int i = 0; i < section.Length; i += step)
            {
                double best = double.PositiveInfinity;
                for (int j = 0; j < section.Length; j++)
                {
                    if (j == i) continue;
                    double dx = section[j].X - section[i].X, dy = section[j].Y - section[i].Y, d = dx * dx + dy * dy;
                    if (d > 0 && d < best) best = d;
                }
                if (double.IsFinite(best)) distances.Add(Math.Sqrt(best) * section[i].Mpp);
            }
        }
        if (distances.Count == 0) return null;
        distances.Sort();
        return distances[distances.Count / 2];
    }
}
