using System.Globalization;
using System.Text;

namespace MlNetStem.TestKit;

/// <summary>
/// A HER2ST-layout section whose eosin stain follows a known smooth field e(x, y) over the whole image, sampled by a
/// spot grid whose gene EOS has Poisson counts with rate 1 + 60·e at the spot; NOISE1..3 are not driven. Between the
/// spots the field keeps varying, so a dense map can be checked against the truth at every tile.
/// </summary>
public static class SmoothTissue
{
    /// <summary>The genes of the counts table.</summary>
    public static readonly string[] Genes = ["EOS", "NOISE1", "NOISE2", "NOISE3"];

    /// <summary>The field at full-resolution pixel (x, y) of an image of side <paramref name="size"/>: 0.05–0.95, smooth.</summary>
    public static double Eosin(double x, double y, int size) =>
        0.5 + 0.45 * Math.Sin(2 * Math.PI * x / size) * Math.Cos(Math.PI * y / size);

    /// <summary>Writes he.ppm, spots.tsv and counts.tsv.gz into <paramref name="folder"/>; returns the image side in pixels.</summary>
    public static int Write(string folder, int seed, int grid = 14, int pitch = 64)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        int size = (grid + 2) * pitch;
        var rgb = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            // White → eosin pink with the field's strength, plus a little pixel noise so patches are not flat.
            double e = Eosin(x, y, size), n = random.NextDouble() * 6 - 3;
            int i = (y * size + x) * 3;
            rgb[i] = Clamp(245 + (215 - 245) * e + n);
            rgb[i + 1] = Clamp(240 + (110 - 240) * e + n);
            rgb[i + 2] = Clamp(245 + (165 - 245) * e + n);
        }
        var spots = new StringBuilder("x\ty\tnew_x\tnew_y\tpixel_x\tpixel_y\tselected\n");
        var counts = new StringBuilder("\t" + string.Join("\t", Genes) + "\n");
        for (int gy = 0; gy < grid; gy++)
        for (int gx = 0; gx < grid; gx++)
        {
            int cx = pitch + gx * pitch + pitch / 2, cy = pitch + gy * pitch + pitch / 2;
            string id = $"{gx + 1}x{gy + 1}";
            spots.Append(CultureInfo.InvariantCulture, $"{gx + 1}\t{gy + 1}\t{gx + 1}\t{gy + 1}\t{cx}\t{cy}\t1\n");
            counts.Append(id).Append('\t').Append(SyntheticTissue.Poisson(random, 1 + 60 * Eosin(cx, cy, size)));
            for (int k = 0; k < 3; k++) counts.Append('\t').Append(SyntheticTissue.Poisson(random, 8));
            counts.Append('\n');
        }
        SyntheticTissue.WriteFiles(folder, size, rgb, spots.ToString(), counts.ToString());
        return size;
    }

    private static byte Clamp(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);
}
