using MlNetStem.Data;

namespace MlNetStem.Transforms.Context;

/// <summary>
/// Every spot's embedding and position, grouped by section, read once from a view; answers "the k nearest spots of this
/// section to (x, y)". Brute force per query (N distances): fine for the thousands of spots of a section.
/// </summary>
internal sealed class SpotNeighbourhoods
{
    private readonly float[] _embeddings;
    private readonly double[] _x, _y;
    private readonly Dictionary<string, int[]> _sections;

    private SpotNeighbourhoods(float[] embeddings, int width, double[] x, double[] y, Dictionary<string, int[]> sections)
    {
        _embeddings = embeddings;
        Width = width;
        _x = x;
        _y = y;
        _sections = sections;
    }

    /// <summary>Embedding width D.</summary>
    public int Width { get; }

    /// <summary>Reads the columns the options name from <paramref name="view"/>.</summary>
    public static SpotNeighbourhoods Read(IDataView view, NeighbourContextOptions o, int width)
    {
        bool hasImage = view.Schema.Find(o.ImageColumn) is { Type: SlideDataViewType };
        bool hasSection = view.Schema.Find(o.SectionColumn) is { Type.Kind: ColumnKind.Text };
        string[] columns = [o.InputColumn, o.XColumn, o.YColumn, .. hasImage ? [o.ImageColumn] : Array.Empty<string>(), .. hasSection ? [o.SectionColumn] : Array.Empty<string>()];
        var embeddings = new List<float>();
        var x = new List<double>();
        var y = new List<double>();
        var keys = new List<string>();
        foreach (var batch in view.ReadBatches(columns, 256))
        {
            embeddings.AddRange(batch.GetFloats(o.InputColumn));
            x.AddRange(batch.GetNumbersAsDoubles(o.XColumn));
            y.AddRange(batch.GetNumbersAsDoubles(o.YColumn));
            keys.AddRange(SectionKeys(batch, o, hasImage, hasSection));
        }
        var sections = keys.Select((key, i) => (key, i)).GroupBy(p => p.key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(p => p.i).ToArray(), StringComparer.Ordinal);
        return new SpotNeighbourhoods(embeddings.ToArray(), width, x.ToArray(), y.ToArray(), sections);
    }

    /// <summary>The section of each row: its section name, else its slide, else one section for all.</summary>
    public static IEnumerable<string> SectionKeys(DataBatch batch, NeighbourContextOptions o, bool hasImage, bool hasSection) =>
        hasSection ? batch.GetTexts(o.SectionColumn)
        : hasImage ? batch.GetImages(o.ImageColumn).Select(s => s.Path)
        : Enumerable.Repeat("", batch.RowCount);

    /// <summary>
    /// Writes the embeddings of the <paramref name="k"/> spots of <paramref name="section"/> nearest to (x, y), nearest
    /// first (ties by row order), into <paramref name="context"/> ([k, D]) and 1/0 into <paramref name="mask"/>; places
    /// beyond the section's spots or farther than <paramref name="maxPixels"/> stay zero with mask 0.
    /// </summary>
    public void Nearest(string section, double x, double y, int k, double maxPixels, Span<float> context, Span<float> mask)
    {
        context.Clear();
        mask.Clear();
        if (!_sections.TryGetValue(section, out var members)) return;
        int found = Math.Min(k, members.Length);
        // The k smallest squared distances by insertion into a sorted list of at most k entries.
        Span<double> best = found <= 256 ? stackalloc double[found] : new double[found];
        Span<int> who = found <= 256 ? stackalloc int[found] : new int[found];
        int count = 0;
        foreach (int i in members)
        {
            double dx = _x[i] - x, dy = _y[i] - y, d = dx * dx + dy * dy;
            if (count == found && d >= best[count - 1]) continue;
            int at = count == found ? count - 1 : count++;
            while (at > 0 && best[at - 1] > d) { best[at] = best[at - 1]; who[at] = who[at - 1]; at--; }
            best[at] = d;
            who[at] = i;
        }
        double limit = maxPixels * maxPixels;
        for (int j = 0; j < count; j++)
        {
            if (best[j] > limit) break;
            _embeddings.AsSpan(who[j] * Width, Width).CopyTo(context.Slice(j * Width, Width));
            mask[j] = 1;
        }
    }
}
