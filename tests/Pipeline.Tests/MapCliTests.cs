using MlNetStem.AnnData;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// `mlnetstem map`: tiles over the whole tissue, predicted by a model trained on the spots. On synthetic tissue whose
/// stain follows a known smooth field, the tile predictions follow the field between the spots too.
/// </summary>
[Collection(Hdf5FileTests.Name)]
public class MapCliTests(ITestOutputHelper output)
{
    [Fact]
    public void Map_OnSmoothSyntheticTissue_FollowsTheFieldAtEveryTile_AndDrawsAHeatMap()
    {
        using var folder = new TempFolder();
        string section = folder.File("smooth");
        int size = SmoothTissue.Write(section, seed: 5);
        string model = folder.File("ridge.zip");
        var train = CliTests.Run("train", "--input", section, "--model", model, "--genes", "4", "--ranking", "variable", "--patch-um", "100",
            "--patch-px", "32");
        Assert.True(train.Code == 0, train.Err);

        // The spots are 200 µm apart (64 px); tiles every 50 µm (16 px) give about 16 times as many points.
        string map = folder.File("out/map.h5ad");
        var (code, stdout, error) = CliTests.Run("map", "--input", section, "--model", model, "--output", map, "--stride-um", "50",
            "--map-genes", "EOS");
        Assert.True(code == 0, error);
        var file = H5adReader.ReadFile(map);
        int tiles = file.X!.Rows, eos = file.Var.Index.ToList().IndexOf("EOS");
        Assert.True(tiles > 14 * 14 * 8, $"{tiles} tiles");
        var spatial = file.Obsm["spatial"];
        // Tiles among the spots (the grid spans 64..size−64 px): outside it the model would extrapolate.
        var inside = Enumerable.Range(0, tiles).Where(t => spatial[t, 0] is > 64 and < 960 && spatial[t, 1] is > 64 and < 960).ToArray();
        var predicted = inside.Select(t => (double)file.X[t, eos]).ToArray();
        var truth = inside.Select(t => SmoothTissue.Eosin(spatial[t, 0], spatial[t, 1], size)).ToArray();
        double pcc = Pearson(predicted, truth);
        var all = Enumerable.Range(0, tiles).ToArray();
        double pccAll = Pearson(all.Select(t => (double)file.X[t, eos]).ToArray(), all.Select(t => SmoothTissue.Eosin(spatial[t, 0], spatial[t, 1], size)).ToArray());
        output.WriteLine($"{tiles} tiles ({inside.Length} among the spots); tile-level PCC of predicted EOS with the true field: {pcc:0.000} among the spots, {pccAll:0.000} over all tiles");
        Assert.True(pcc > 0.9, $"tile-level PCC {pcc:0.000}");

        string png = folder.File("out/map_maps/EOS.png");
        Assert.Contains(png, stdout);
        using var image = VipsImage.Open(png);
        Assert.True(image.Width > 100 && image.Height > 100, $"{image.Width}×{image.Height}");
    }

    [Fact]
    public void Map_WithHisDiff_TakesEachTilesContextFromTilesAtTheTrainingPitch()
    {
        using var folder = new TempFolder();
        string section = folder.File("smooth");
        int size = SmoothTissue.Write(section, seed: 6);
        string model = folder.File("hisdiff.zip");
        var train = CliTests.Run("train", "--input", section, "--model", model, "--genes", "4", "--ranking", "variable", "--patch-um", "100",
            "--patch-px", "32", "--trainer", "hisdiff");
        Assert.True(train.Code == 0, train.Err);

        // Spots 200 µm apart, tiles every 50 µm: contexts from 4×4 interleaved lattices of tiles 200 µm apart.
        string map = folder.File("map.h5ad");
        var (code, _, error) = CliTests.Run("map", "--input", section, "--model", model, "--output", map, "--stride-um", "50",
            "--map-genes", "EOS", "--sampler", "dpm", "--steps", "10", "--draws", "8");
        Assert.True(code == 0, error);
        Assert.Contains("spots were 200 µm apart, so each tile's neighbours are the tiles 200 µm apart (4×4 interleaved lattices)", error);
        var file = H5adReader.ReadFile(map);
        int tiles = file.X!.Rows, eos = file.Var.Index.ToList().IndexOf("EOS");
        var spatial = file.Obsm["spatial"];
        var inside = Enumerable.Range(0, tiles).Where(t => spatial[t, 0] is > 64 and < 960 && spatial[t, 1] is > 64 and < 960).ToArray();
        double pcc = Pearson(inside.Select(t => (double)file.X[t, eos]).ToArray(), inside.Select(t => SmoothTissue.Eosin(spatial[t, 0], spatial[t, 1], size)).ToArray());
        output.WriteLine($"HisDiff map: {tiles} tiles; tile-level PCC of predicted EOS with the true field among the spots {pcc:0.000}");
        Assert.True(tiles > 14 * 14 * 8, $"{tiles} tiles");
        Assert.True(pcc > 0.8, $"tile-level PCC {pcc:0.000}");
        Assert.True(file.Layers.ContainsKey("std"), "a diffusion map carries the draws' std");
    }

    [Fact]
    public void Map_RefusesBadStridesUnknownGenes_AndAnImageWithoutItsPixelSize()
    {
        using var folder = new TempFolder();
        string section = folder.File("smooth");
        SmoothTissue.Write(section, seed: 6, grid: 6);
        string model = folder.File("m.zip");
        Assert.Equal(0, CliTests.Run("train", "--input", section, "--model", model, "--genes", "3", "--patch-px", "16").Code);
        string[] map = ["map", "--input", section, "--model", model, "--output", folder.File("m.h5ad")];

        var stride = CliTests.Run([.. map, "--stride-um", "0"]);
        Assert.Equal(2, stride.Code);
        Assert.Contains("'--stride-um 0': must be a positive number", stride.Err);
        var gene = CliTests.Run([.. map, "--map-genes", "ERBB2"]);
        Assert.Equal(2, gene.Code);
        Assert.Contains("ERBB2 not in the model's 3-gene panel", gene.Err);
        var image = CliTests.Run("map", "--input", Path.Combine(section, "he.ppm"), "--model", model, "--output", folder.File("i.h5ad"));
        Assert.Equal(2, image.Code);
        Assert.Contains("does not record its µm per pixel: give --mpp", image.Err);
        var withMpp = CliTests.Run("map", "--input", Path.Combine(section, "he.ppm"), "--model", model, "--output", folder.File("i.h5ad"),
            "--mpp", "3.125", "--stride-um", "100");
        Assert.True(withMpp.Code == 0, withMpp.Err);
    }

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb); }
        return sab / Math.Sqrt(saa * sbb);
    }
}
