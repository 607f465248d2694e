using MlNetStem.Data;

namespace MlNetStem.Trainers.Tests;

/// <summary>
/// Generated spots of nuclei with known per-cell expression: three cell types drawn with different nucleus looks in 28 px
/// crops (values in [-0.5, 0.5] as LoadNucleusCrops writes them) — A small and dark, B large and pale, C elongated and mid-dark —
/// each with its own expression programme (<see cref="TypeRates"/>); a spot holds 4–20 nuclei in proportions drawn per spot, and its
/// label is log2(1 + the sum of its cells' Poisson counts).
/// </summary>
internal static class StAndData
{
    public const int Crop = 28;
    public const int MaxNuclei = 24;
    public static readonly string[] Genes = ["MARKA", "MARKB", "MARKC", "AB", "BC", "FLAT"];

    /// <summary>Mean counts per cell of each type (rows A, B, C) for each gene.</summary>
    public static readonly double[,] TypeRates =
    {
        { 12, 0.5, 0.5, 6, 0.5, 3 },
        { 0.5, 12, 0.5, 6, 6, 3 },
        { 0.5, 0.5, 12, 0.5, 6, 3 },
    };

    /// <summary>The spots, plus the type of each nucleus slot (-1 for padding), row-major [rows, MaxNuclei].</summary>
    public static (InMemoryDataView Data, int[] Types) Spots(int rows, int seed)
    {
        var random = new Random(seed);
        int length = 3 * Crop * Crop, g = Genes.Length;
        var crops = new float[rows * MaxNuclei * length];
        var mask = new float[rows * MaxNuclei];
        var labels = new float[rows * g];
        var types = Enumerable.Repeat(-1, rows * MaxNuclei).ToArray();
        for (int r = 0; r < rows; r++)
        {
            int n = random.Next(4, 21);
            double[] weights = [random.NextDouble(), random.NextDouble(), random.NextDouble()];
            var counts = new double[g];
            for (int k = 0; k < n; k++)
            {
                int type = Pick(random, weights);
                types[r * MaxNuclei + k] = type;
                mask[r * MaxNuclei + k] = 1;
                Draw(random, type, crops.AsSpan((r * MaxNuclei + k) * length, length));
                for (int j = 0; j < g; j++) counts[j] += Poisson(random, TypeRates[type, j]);
            }
            for (int j = 0; j < g; j++) labels[r * g + j] = (float)Math.Log2(1 + counts[j]);
        }
        var data = new InMemoryDataView([
            SchemaColumns.Create("NucleusCrops", ColumnTypes.FloatTensor(MaxNuclei, 3, Crop, Crop)),
            SchemaColumns.Create("NucleusMask", ColumnTypes.FloatTensor(MaxNuclei)),
            SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(g), Genes),
        ], rows, new Dictionary<string, Array> { ["NucleusCrops"] = crops, ["NucleusMask"] = mask, ["Expression"] = labels });
        return (data, types);
    }

    private static int Pick(Random random, double[] weights)
    {
        double u = random.NextDouble() * weights.Sum();
        for (int i = 0; i < weights.Length - 1; i++)
        {
            if (u < weights[i]) return i;
            u -= weights[i];
        }
        return weights.Length - 1;
    }

    /// <summary>Pink background with noise and one purple nucleus of the type's look near the centre, CHW in [-0.5, 0.5].</summary>
    private static void Draw(Random random, int type, Span<float> chw)
    {
        int plane = Crop * Crop;
        var (a, b, depth) = type switch
        {
            0 => (3.0 + random.NextDouble(), 0, 0.95),              // small, dark
            1 => (7.0 + random.NextDouble() * 1.5, 0, 0.45),        // large, pale
            _ => (8.0 + random.NextDouble(), 1, 0.7),               // elongated (b = 1 flags the minor axis below)
        };
        double minor = b == 1 ? a * 0.4 : a * (0.85 + 0.15 * random.NextDouble());
        double angle = random.NextDouble() * Math.PI, cos = Math.Cos(angle), sin = Math.Sin(angle);
        double cx = 13.5 + random.NextDouble() * 2 - 1, cy = 13.5 + random.NextDouble() * 2 - 1;
        for (int y = 0; y < Crop; y++)
        for (int x = 0; x < Crop; x++)
        {
            double dx = x - cx, dy = y - cy;
            double u = (dx * cos + dy * sin) / a, v = (-dx * sin + dy * cos) / minor;
            double noise = (random.NextDouble() - 0.5) * 0.06;
            double r = 232 / 255.0, gr = 160 / 255.0, bl = 196 / 255.0;
            if (u * u + v * v <= 1)
            {
                r -= 0.55 * depth;
                gr -= 0.5 * depth;
                bl -= 0.25 * depth;
            }
            chw[y * Crop + x] = (float)(r + noise - 0.5);
            chw[plane + y * Crop + x] = (float)(gr + noise - 0.5);
            chw[2 * plane + y * Crop + x] = (float)(bl + noise - 0.5);
        }
    }

    private static int Poisson(Random random, double lambda)
    {
        double l = Math.Exp(-lambda), p = 1;
        int k = 0;
        do { k++; p *= random.NextDouble(); } while (p > l);
        return k - 1;
    }

    public static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Count; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? 0 : sab / Math.Sqrt(saa * sbb);
    }
}
