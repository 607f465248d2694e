using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace MlNetStem.TestKit;

/// <summary>
/// Generates a HER2ST-layout section whose gene programs are known functions of morphology:
/// each spot gets a nuclei density d and an eosin intensity e, drawn as purple nuclei discs
/// on a pink background, and Poisson counts with rates driven by d and e:
/// NUC ∝ d, EOS ∝ e, MIX ∝ (d + e)/2, INV ∝ 1 − d; NOISE1..4 are not driven.
/// </summary>
public static class SyntheticTissue
{
    public static readonly string[] DrivenGenes = ["NUC", "EOS", "MIX", "INV"];
    public static readonly string[] Genes = [.. DrivenGenes, "NOISE1", "NOISE2", "NOISE3", "NOISE4"];

    /// <summary>Writes he.ppm, spots.tsv and counts.tsv.gz into <paramref name="folder"/>.</summary>
    /// <returns>Per spot (id, d, e).</returns>
    public static IReadOnlyList<(string Id, double Density, double Eosin)> Write(string folder, int seed, int grid = 10, int pitch = 64)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        int margin = pitch;
        int size = grid * pitch + 2 * margin;
        var rgb = new byte[size * size * 3];
        Array.Fill(rgb, (byte)250);
        var spots = new List<(string, double, double)>();
        var spotLines = new StringBuilder("x\ty\tnew_x\tnew_y\tpixel_x\tpixel_y\tselected\n");
        var countLines = new StringBuilder("\t" + string.Join("\t", Genes) + "\n");
        for (int gy = 0; gy < grid; gy++)
        for (int gx = 0; gx < grid; gx++)
        {
            double d = random.NextDouble(), e = random.NextDouble();
            int cx = margin + gx * pitch + pitch / 2, cy = margin + gy * pitch + pitch / 2;
            // Background: white → eosin pink with strength e.
            for (int y = cy - pitch / 2; y < cy + pitch / 2; y++)
            for (int x = cx - pitch / 2; x < cx + pitch / 2; x++)
                Set(rgb, size, x, y, Lerp(245, 215, e), Lerp(240, 110, e), Lerp(245, 165, e));
            // Nuclei: dark purple discs, count ∝ d.
            int nuclei = (int)Math.Round(d * 30);
            for (int k = 0; k < nuclei; k++)
            {
                int nx = cx + random.Next(-pitch / 2 + 4, pitch / 2 - 4), ny = cy + random.Next(-pitch / 2 + 4, pitch / 2 - 4);
                int r = 3 + random.Next(2);
                for (int y = ny - r; y <= ny + r; y++)
                for (int x = nx - r; x <= nx + r; x++)
                    if ((x - nx) * (x - nx) + (y - ny) * (y - ny) <= r * r)
                        Set(rgb, size, x, y, (byte)(60 + random.Next(20)), (byte)(35 + random.Next(15)), (byte)(120 + random.Next(20)));
            }
            string id = $"{gx + 1}x{gy + 1}";
            spots.Add((id, d, e));
            spotLines.Append(CultureInfo.InvariantCulture, $"{gx + 1}\t{gy + 1}\t{gx + 1}\t{gy + 1}\t{cx}\t{cy}\t1\n");
            double[] rates = [1 + 40 * d, 1 + 40 * e, 1 + 20 * (d + e), 1 + 40 * (1 - d), 8, 8, 8, 8];
            countLines.Append(id);
            foreach (double rate in rates) countLines.Append('\t').Append(Poisson(random, rate));
            countLines.Append('\n');
        }
        WriteFiles(folder, size, rgb, spotLines.ToString(), countLines.ToString());
        return spots;
    }

    /// <summary>Writes a HER2ST-style folder: he.ppm (RGB, side <paramref name="size"/>), spots.tsv, counts.tsv.gz.</summary>
    internal static void WriteFiles(string folder, int size, byte[] rgb, string spots, string counts)
    {
        using (var file = File.Create(Path.Combine(folder, "he.ppm")))
        {
            file.Write(Encoding.ASCII.GetBytes($"P6\n{size} {size}\n255\n"));
            file.Write(rgb);
        }
        File.WriteAllText(Path.Combine(folder, "spots.tsv"), spots);
        using var gz = new GZipStream(File.Create(Path.Combine(folder, "counts.tsv.gz")), CompressionLevel.Fastest);
        gz.Write(Encoding.UTF8.GetBytes(counts));
    }

    private static byte Lerp(double a, double b, double t) => (byte)Math.Round(a + (b - a) * t);

    private static void Set(byte[] rgb, int size, int x, int y, byte r, byte g, byte b)
    {
        int i = (y * size + x) * 3;
        rgb[i] = r; rgb[i + 1] = g; rgb[i + 2] = b;
    }

    internal static int Poisson(Random random, double lambda)
    {
        double l = Math.Exp(-lambda), p = 1;
        int k = 0;
        do { k++; p *= random.NextDouble(); } while (p > l);
        return k - 1;
    }
}
