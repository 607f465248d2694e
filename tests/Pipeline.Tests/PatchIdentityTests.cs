using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// LoadPatches must cut exactly the patches PatchSampler cuts for the same spots, and PatchSampler
/// exactly what it cut before its separable bilinear pass (<see cref="ReferenceSampler"/> is that
/// code, verbatim): compared bit for bit, not within a tolerance.
/// </summary>
public class PatchIdentityTests
{
    private static readonly MLContext Ml = SeededContext.Create(1);

    [Fact]
    public void LoadPatches_OnC2_IsBitIdenticalToPatchSampler_ThroughBatchesAndRowCursors_ColdAndWarm()
    {
        var section = Her2stLoader.Load(RepositoryPaths.Her2st("C2"));
        var spots = section.Data;
        var loader = Ml.Transforms.LoadPatches("Patch", "Image", 112, 224).Fit(spots);
        const int length = 3 * 224 * 224;

        var coords = spots.ReadBatches(["PixelX", "PixelY"]).Single();
        var xs = coords.GetDoubles("PixelX");
        var ys = coords.GetDoubles("PixelY");
        double sourceSize = 112 / section.MicronsPerPixel;
        var expected = new float[spots.Rows * length];
        var reference = new float[spots.Rows * length];
        using (var image = VipsImage.Open(Path.Combine(RepositoryPaths.Her2st("C2"), "he.jpg")))
        {
            for (int r = 0; r < spots.Rows; r++)
            {
                PatchSampler.Read(image, xs[r], ys[r], sourceSize, 224, expected.AsSpan(r * length, length));
                ReferenceSampler.Read(image, xs[r], ys[r], sourceSize, 224, reference.AsSpan(r * length, length));
            }
        }
        AssertBitIdentical(reference, expected, "PatchSampler against the pre-separable sampler");

        // Batches of 64 (the bench's size), twice: the second pass reads the slide the first left open.
        for (int pass = 0; pass < 2; pass++)
        {
            var batches = loader.Transform(spots).ReadBatches(["Patch"], 64).ToList();
            Assert.Equal(spots.Rows, batches.Sum(b => b.RowCount));
            var actual = batches.SelectMany(b => b.GetFloats("Patch")).ToArray();
            AssertBitIdentical(expected, actual, $"LoadPatches batches, pass {pass + 1}");
        }

        // A Microsoft.ML row cursor (VBuffer per row) over the same transform.
        var view = loader.Transform(spots);
        using var cursor = view.GetRowCursor([view.Schema["Patch"]]);
        var getter = cursor.GetGetter<VBuffer<float>>(view.Schema["Patch"]);
        var row = default(VBuffer<float>);
        int rows = 0;
        while (cursor.MoveNext())
        {
            getter(ref row);
            AssertBitIdentical(expected.AsSpan(rows * length, length), row.DenseValues().ToArray(), $"row cursor, row {rows}");
            rows++;
        }
        Assert.Equal(spots.Rows, rows);
    }

    public static TheoryData<int, double, double, double> Geometries() => new()
    {
        // output px, source px, centre x, centre y: upsampling (HER2ST 112 µm at 224 px reads 162.6 px),
        // identity, the bilinear/box boundary (1.5×), box, edge and corner spots padded with white,
        // output sizes below, at and off the SIMD width.
        { 224, 162.592, 101.3, 87.9 },
        { 224, 162.592, 3.2, 190.6 },
        { 224, 224, 100, 100 },
        { 37, 55.5, 60.25, 70.75 },
        { 37, 56, 0, 0 },
        { 13, 4, 199.9, 149.9 },
        { 5, 3.3, 17.5, 2.5 },
        { 1, 1, 50, 50 },
        { 8, 8, 120.5, 33.5 },
        { 17, 40, 80.1, 75.2 },
        { 64, 400, 100, 75 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void PatchSampler_IsBitIdenticalToTheReferenceSampler(int output, double source, double x, double y)
    {
        using var folder = new TempFolder();
        using var image = VipsImage.Open(NoiseImage(folder, 200, 150, seed: output));
        var expected = new float[3 * output * output];
        var actual = new float[3 * output * output];
        ReferenceSampler.Read(image, x, y, source, output, expected);
        PatchSampler.Read(image, x, y, source, output, actual);
        AssertBitIdentical(expected, actual, $"{source} px → {output} px at ({x}, {y})");
    }

    [Fact]
    public void PatchSampler_RandomGeometries_AreBitIdenticalToTheReferenceSampler()
    {
        using var folder = new TempFolder();
        using var image = VipsImage.Open(NoiseImage(folder, 300, 260, seed: 7));
        var random = new Random(11);
        for (int k = 0; k < 200; k++)
        {
            int output = random.Next(1, 90);
            double source = output * (0.2 + random.NextDouble() * 1.4);   // bilinear range (≤ 1.5×) and a little beyond
            double x = random.NextDouble() * 300, y = random.NextDouble() * 260;
            var expected = new float[3 * output * output];
            var actual = new float[3 * output * output];
            ReferenceSampler.Read(image, x, y, source, output, expected);
            PatchSampler.Read(image, x, y, source, output, actual);
            AssertBitIdentical(expected, actual, $"case {k}: {source:0.###} px → {output} px at ({x:0.###}, {y:0.###})");
        }
    }

    private static void AssertBitIdentical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var e = MemoryMarshal.Cast<float, int>(expected);
        var a = MemoryMarshal.Cast<float, int>(actual);
        int mismatch = e.CommonPrefixLength(a);
        if (mismatch < e.Length)
            Assert.Fail($"{what}: value {mismatch} differs ({expected[mismatch]:R} expected, {actual[mismatch]:R} actual).");
    }

    /// <summary>A PPM of uniform random RGB noise (every neighbour differs, so any change of the arithmetic shows).</summary>
    internal static string NoiseImage(TempFolder folder, int width, int height, int seed)
    {
        var rgb = new byte[width * height * 3];
        new Random(seed).NextBytes(rgb);
        string path = folder.File($"noise-{seed}.ppm");
        using var file = File.Create(path);
        file.Write(Encoding.ASCII.GetBytes($"P6\n{width} {height}\n255\n"));
        file.Write(rgb);
        return path;
    }

    /// <summary>PatchSampler.Read as it was before the separable bilinear pass (commit 18372f5), unchanged.</summary>
    private static class ReferenceSampler
    {
        public static void Read(ISlide slide, double centreX, double centreY, double sourceSize, int outputSize, Span<float> chw)
        {
            int level = PatchSampler.SelectLevel(slide.Levels, sourceSize / outputSize);
            double downsample = slide.Levels[level].Downsample;
            double size = sourceSize / downsample;
            double scale = size / outputSize;
            double originX = centreX / downsample - size / 2, originY = centreY / downsample - size / 2;
            int left = (int)Math.Floor(originX) - 1, top = (int)Math.Floor(originY) - 1;
            int span = (int)Math.Ceiling(size) + 3;
            byte[] buffer = ArrayPool<byte>.Shared.Rent(span * span * 3);
            try
            {
                slide.ReadRgb(level, left, top, span, span, buffer);
                if (scale > 1.5) BoxResample(buffer, span, originX - left, originY - top, scale, outputSize, chw);
                else BilinearResample(buffer, span, originX - left, originY - top, scale, outputSize, chw);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private static void BilinearResample(byte[] rgb, int span, double offsetX, double offsetY, double scale, int n, Span<float> chw)
        {
            const float inv = 1f / 255f;
            int plane = n * n;
            Span<int> x0s = stackalloc int[n];
            Span<float> fxs = stackalloc float[n];
            for (int i = 0; i < n; i++)
            {
                double u = offsetX + (i + 0.5) * scale - 0.5;
                int x0 = Math.Clamp((int)Math.Floor(u), 0, span - 2);
                x0s[i] = x0;
                fxs[i] = (float)Math.Clamp(u - x0, 0, 1);
            }
            for (int j = 0; j < n; j++)
            {
                double v = offsetY + (j + 0.5) * scale - 0.5;
                int y0 = Math.Clamp((int)Math.Floor(v), 0, span - 2);
                float fy = (float)Math.Clamp(v - y0, 0, 1);
                int row0 = y0 * span * 3, row1 = row0 + span * 3;
                for (int i = 0; i < n; i++)
                {
                    int a = row0 + x0s[i] * 3, b = row1 + x0s[i] * 3;
                    float fx = fxs[i];
                    for (int c = 0; c < 3; c++)
                    {
                        float top = rgb[a + c] + (rgb[a + 3 + c] - rgb[a + c]) * fx;
                        float bottom = rgb[b + c] + (rgb[b + 3 + c] - rgb[b + c]) * fx;
                        chw[c * plane + j * n + i] = (top + (bottom - top) * fy) * inv;
                    }
                }
            }
        }

        private static void BoxResample(byte[] rgb, int span, double offsetX, double offsetY, double scale, int n, Span<float> chw)
        {
            int plane = n * n;
            for (int j = 0; j < n; j++)
            {
                int ya = Math.Clamp((int)Math.Floor(offsetY + j * scale), 0, span - 1);
                int yb = Math.Clamp((int)Math.Ceiling(offsetY + (j + 1) * scale), ya + 1, span);
                for (int i = 0; i < n; i++)
                {
                    int xa = Math.Clamp((int)Math.Floor(offsetX + i * scale), 0, span - 1);
                    int xb = Math.Clamp((int)Math.Ceiling(offsetX + (i + 1) * scale), xa + 1, span);
                    float r = 0, g = 0, b = 0;
                    for (int y = ya; y < yb; y++)
                    for (int x = xa; x < xb; x++)
                    {
                        int k = (y * span + x) * 3;
                        r += rgb[k];
                        g += rgb[k + 1];
                        b += rgb[k + 2];
                    }
                    float norm = 1f / (255f * (yb - ya) * (xb - xa));
                    chw[j * n + i] = r * norm;
                    chw[plane + j * n + i] = g * norm;
                    chw[2 * plane + j * n + i] = b * norm;
                }
            }
        }
    }
}
