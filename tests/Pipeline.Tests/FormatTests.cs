using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using MlNetStem.Data;
using MlNetStem.Hdf5;
using MlNetStem.Host;
using MlNetStem.Pipeline;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using MlNetStem.Transforms.Expression;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// Real-world layouts: Space Ranger outs (10x HDF5 and Matrix Market, both tissue_positions variants),
/// HEST-1k folders (h5ad written by the real anndata, pyramidal TIFF by vips, metadata), plain .h5ad,
/// HEST patch files, and predictions written as .h5ad and read back by the real anndata.
/// Every fixture is generated here; the small Visium one is described at <see cref="VisiumFixture"/>.
/// </summary>
[Collection(Hdf5FileTests.Name)]
public class FormatTests
{
    private const string Python = "/usr/bin/python3";

    // ---------------------------------------------------------------- Visium

    [Fact]
    public void Visium_H5_JoinsCountsToInTissuePositions_OnTheHiresImage()
    {
        using var folder = new TempFolder();
        var fx = VisiumFixture.Write(folder.Path, matrixAsH5: true, positionsWithHeader: true);
        var section = SectionLoader.Load(fx.Outs);

        Assert.Equal(SectionFormat.Visium, section.Format);
        var data = section.Data;
        Assert.Equal(fx.ExpectedBarcodes, Texts(data, SpotColumns.Barcode));
        Assert.Equal(["GENE_A", "DUP", "GENE_B", "DUP-2", "DUP-1"], data.Schema[SpotColumns.Counts].SlotNames);
        var batch = data.ReadBatches([SpotColumns.Barcode, SpotColumns.Counts, SpotColumns.PixelX, SpotColumns.PixelY, SpotColumns.ArrayX, SpotColumns.ArrayY, SpotColumns.Image]).Single();
        for (int r = 0; r < batch.RowCount; r++)
        {
            string barcode = batch.GetTexts(SpotColumns.Barcode)[r];
            Assert.Equal(fx.ExpectedCounts(barcode), batch.GetTensorRow(SpotColumns.Counts, r).ToArray());
            var (row, col) = VisiumFixture.ArrayOf(barcode);
            Assert.Equal(col, batch.GetInt32s(SpotColumns.ArrayX)[r]);
            Assert.Equal(row, batch.GetInt32s(SpotColumns.ArrayY)[r]);
            Assert.Equal(VisiumFixture.FullresX(col) * VisiumFixture.HiresScale, batch.GetDoubles(SpotColumns.PixelX)[r], 9);
            Assert.Equal(VisiumFixture.FullresY(row) * VisiumFixture.HiresScale, batch.GetDoubles(SpotColumns.PixelY)[r], 9);
        }
        var image = batch.GetImages(SpotColumns.Image)[0];
        Assert.EndsWith("tissue_hires_image.png", image.Path);
        // 55 µm spots of 110 full-resolution pixels, on an image at half that resolution: 1 µm/px.
        Assert.Equal(1.0, section.MicronsPerPixel!.Value, 9);
        Assert.Equal(1.0, image.MicronsPerPixel!.Value, 9);

        Assert.Contains(section.Dropped, d => d.StartsWith("1 barcode(s) in the counts without a position") && d.Contains("ZZZZ-1"));
        Assert.Contains(section.Dropped, d => d.StartsWith("1 barcode(s) in the counts on spots outside the tissue"));
        Assert.Contains(section.Dropped, d => d.StartsWith("1 in-tissue spot(s)") && d.Contains("S23-1"));
        Assert.Contains(section.Notes, n => n.Contains("1 duplicated gene name(s)") && n.Contains("DUP"));
        Assert.Contains(section.Notes, n => n.Contains("1 feature(s) that are not 'Gene Expression'"));
    }

    [Fact]
    public void Visium_MatrixMarketAndLegacyPositions_LoadTheSameAsH5_WithFullResolutionImage()
    {
        using var folder = new TempFolder();
        var h5 = VisiumFixture.Write(Path.Combine(folder.Path, "a"), matrixAsH5: true, positionsWithHeader: true);
        var mtx = VisiumFixture.Write(Path.Combine(folder.Path, "b"), matrixAsH5: false, positionsWithHeader: false);
        Assert.False(File.Exists(Path.Combine(mtx.Outs, "spatial", "tissue_positions.csv")));
        Assert.True(File.Exists(Path.Combine(mtx.Outs, "filtered_feature_bc_matrix", "matrix.mtx.gz")));

        var fromH5 = VisiumLoader.Load(h5.Outs, new SectionLoadOptions { ImagePath = h5.FullresImage });
        var fromMtx = VisiumLoader.Load(mtx.Outs, new SectionLoadOptions { ImagePath = mtx.FullresImage });
        string[] compared = [SpotColumns.Barcode, SpotColumns.ArrayX, SpotColumns.ArrayY, SpotColumns.PixelX, SpotColumns.PixelY, SpotColumns.Counts];
        foreach (string column in compared)
            Assert.Equal(fromH5.Data.GetColumnArray(column), fromMtx.Data.GetColumnArray(column));
        Assert.Equal(fromH5.Data.Schema[SpotColumns.Counts].SlotNames, fromMtx.Data.Schema[SpotColumns.Counts].SlotNames);
        Assert.Equal(fromH5.Dropped.Select(d => d.Replace("tissue_positions.csv", "POSITIONS")),
            fromMtx.Dropped.Select(d => d.Replace("tissue_positions_list.csv", "POSITIONS")));
        // Full resolution: coordinates as in the positions file, 55 µm / 110 px.
        var batch = fromMtx.Data.ReadBatches([SpotColumns.Barcode, SpotColumns.PixelX]).Single();
        Assert.Equal(VisiumFixture.FullresX(VisiumFixture.ArrayOf(batch.GetTexts(SpotColumns.Barcode)[0]).Col), batch.GetDoubles(SpotColumns.PixelX)[0], 9);
        Assert.Equal(0.5, fromMtx.MicronsPerPixel!.Value, 9);
    }

    [Fact]
    public void Visium_H5WrittenByH5pyWithFixedLengthStrings_LoadsLikeOurs()
    {
        RequirePython();
        using var folder = new TempFolder();
        var ours = VisiumFixture.Write(Path.Combine(folder.Path, "a"), matrixAsH5: true, positionsWithHeader: true);
        var h5py = VisiumFixture.Write(Path.Combine(folder.Path, "b"), matrixAsH5: true, positionsWithHeader: true, h5ByH5py: true);
        var expected = VisiumLoader.Load(ours.Outs).Data;
        var actual = VisiumLoader.Load(h5py.Outs).Data;
        foreach (string column in new[] { SpotColumns.Barcode, SpotColumns.PixelX, SpotColumns.Counts })
            Assert.Equal(expected.GetColumnArray(column), actual.GetColumnArray(column));
        Assert.Equal(expected.Schema[SpotColumns.Counts].SlotNames, actual.Schema[SpotColumns.Counts].SlotNames);
    }

    [Fact]
    public void Visium_GenesOption_ReadsOnlyThoseAndNotesTheAbsentOnes()
    {
        using var folder = new TempFolder();
        var fx = VisiumFixture.Write(folder.Path, matrixAsH5: true, positionsWithHeader: true);
        var section = VisiumLoader.Load(fx.Outs, new SectionLoadOptions { Genes = ["GENE_B", "DUP-1", "NOPE"] });
        Assert.Equal(["GENE_B", "DUP-1"], section.Data.Schema[SpotColumns.Counts].SlotNames);
        var batch = section.Data.ReadBatches([SpotColumns.Barcode, SpotColumns.Counts]).Single();
        var all = fx.ExpectedCounts(batch.GetTexts(SpotColumns.Barcode)[0]);
        Assert.Equal([all[2], all[4]], batch.GetTensorRow(SpotColumns.Counts, 0).ToArray());
        Assert.Contains(section.Notes, n => n.StartsWith("1 of 3 requested gene(s) are absent") && n.Contains("NOPE"));
    }

    [Fact]
    public void Visium_WithoutAnyImage_AsksForTheFullResolutionOne_AndWithoutScaleFactorsLeavesPixelSizeUnknown()
    {
        using var folder = new TempFolder();
        var fx = VisiumFixture.Write(folder.Path, matrixAsH5: true, positionsWithHeader: true);
        File.Delete(Path.Combine(fx.Outs, "spatial", "tissue_hires_image.png"));
        Assert.Contains("Give the full-resolution H&E image", Assert.Throws<FileNotFoundException>(() => SectionLoader.Load(fx.Outs)).Message);
        File.Delete(Path.Combine(fx.Outs, "spatial", "scalefactors_json.json"));
        var section = SectionLoader.Load(fx.Outs, new SectionLoadOptions { ImagePath = fx.FullresImage });
        Assert.Null(section.MicronsPerPixel);
        Assert.Contains(section.Notes, n => n.StartsWith("µm per pixel unknown"));
    }

    [Fact]
    public void Visium_StrictGeneNames_RejectsDuplicates()
    {
        using var folder = new TempFolder();
        var fx = VisiumFixture.Write(folder.Path, matrixAsH5: true, positionsWithHeader: true);
        var error = Assert.Throws<InvalidDataException>(() => SectionLoader.Load(fx.Outs, new SectionLoadOptions { StrictGeneNames = true }));
        Assert.Contains("1 gene name(s) appear more than once: DUP.", error.Message);
    }

    [Fact]
    public void Visium_TruncatedH5_IsAClearError()
    {
        using var folder = new TempFolder();
        var fx = VisiumFixture.Write(folder.Path, matrixAsH5: true, positionsWithHeader: true);
        string h5 = Path.Combine(fx.Outs, "filtered_feature_bc_matrix.h5");
        var bytes = File.ReadAllBytes(h5);
        File.WriteAllBytes(h5, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => SectionLoader.Load(fx.Outs));
        Assert.Contains("filtered_feature_bc_matrix.h5", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Visium_MissingDataset_IsNamed()
    {
        using var folder = new TempFolder();
        var fx = VisiumFixture.Write(folder.Path, matrixAsH5: true, positionsWithHeader: true, omitDataset: "indptr");
        var error = Assert.Throws<InvalidDataException>(() => SectionLoader.Load(fx.Outs));
        Assert.Contains("matrix/indptr", error.Message);
    }

    [Fact]
    public void Visium_TruncatedMatrixMarket_IsAClearError()
    {
        using var folder = new TempFolder();
        var fx = VisiumFixture.Write(folder.Path, matrixAsH5: false, positionsWithHeader: true, dropLastEntries: 3);
        var error = Assert.Throws<InvalidDataException>(() => SectionLoader.Load(fx.Outs));
        Assert.Contains("matrix.mtx.gz", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Visium_ImageSmallerThanTheSpotGrid_ErrorCountsTheSpotsOutside()
    {
        using var folder = new TempFolder();
        var fx = VisiumFixture.Write(folder.Path, matrixAsH5: true, positionsWithHeader: true);
        // The hires image passed as if it were full resolution: full-resolution coordinates overshoot it.
        var error = Assert.Throws<InvalidDataException>(() =>
            SectionLoader.Load(fx.Outs, new SectionLoadOptions { ImagePath = Path.Combine(fx.Outs, "spatial", "tissue_hires_image.png") }));
        Assert.Matches(@"\d+ of 9 spot\(s\) lie outside the 200×150 image", error.Message);
        Assert.Contains("smaller than the spot grid implies", error.Message);
    }

    [Fact]
    public void Visium_CountsAndPositionsShareNoBarcode_IsAnError()
    {
        using var folder = new TempFolder();
        var fx = VisiumFixture.Write(folder.Path, matrixAsH5: true, positionsWithHeader: true, barcodeSuffix: "-2");
        var error = Assert.Throws<InvalidDataException>(() => SectionLoader.Load(fx.Outs));
        Assert.Contains("none of the 11 barcodes", error.Message);
    }

    // ---------------------------------------------------------------- HEST / .h5ad

    [Fact]
    public void Hest_Folder_LoadsSpotsCountsAndPixelSize_AndReportsSpotsWithoutPosition()
    {
        RequirePython();
        using var folder = new TempFolder();
        var hest = HestFixture.Write(folder.Path, "TENX01", metadata: "json");
        var section = SectionLoader.Load(hest.Root);

        Assert.Equal(SectionFormat.Hest, section.Format);
        Assert.Equal(0.25, section.MicronsPerPixel!.Value, 9);
        Assert.Equal(hest.Barcodes.Where((_, i) => i != HestFixture.NanSpot), Texts(section.Data, SpotColumns.Barcode));
        Assert.Equal(hest.Genes, section.Data.Schema[SpotColumns.Counts].SlotNames);
        Assert.Contains(section.Dropped, d => d.StartsWith("1 barcode(s) in the counts without a position") && d.Contains(hest.Barcodes[HestFixture.NanSpot]));
        var batch = section.Data.ReadBatches([SpotColumns.Barcode, SpotColumns.Counts, SpotColumns.PixelX, SpotColumns.PixelY, SpotColumns.ArrayX, SpotColumns.Image]).Single();
        for (int r = 0; r < batch.RowCount; r++)
        {
            int i = Array.IndexOf(hest.Barcodes, batch.GetTexts(SpotColumns.Barcode)[r]);
            Assert.Equal(hest.CountsRow(i), batch.GetTensorRow(SpotColumns.Counts, r).ToArray());
            Assert.Equal(hest.X[i], batch.GetDoubles(SpotColumns.PixelX)[r]);
            Assert.Equal(hest.Y[i], batch.GetDoubles(SpotColumns.PixelY)[r]);
            Assert.Equal(i % 5, batch.GetInt32s(SpotColumns.ArrayX)[r]);
        }
        Assert.EndsWith(Path.Combine("wsis", "TENX01.tif"), batch.GetImages(SpotColumns.Image)[0].Path);
    }

    [Fact]
    public void Hest_GeneSubset_IsReadWithoutTheOtherGenes_AndMetadataCsvGivesPixelSize()
    {
        RequirePython();
        using var folder = new TempFolder();
        var hest = HestFixture.Write(folder.Path, "MEND2", metadata: "csv");
        var section = HestLoader.Load(hest.Root, new SectionLoadOptions { Genes = [hest.Genes[3], hest.Genes[0]] });
        Assert.Equal(0.5, section.MicronsPerPixel!.Value, 9);   // pixel_size_um_embedded: the CSV has no estimate for this sample
        Assert.Equal([hest.Genes[3], hest.Genes[0]], section.Data.Schema[SpotColumns.Counts].SlotNames);
        var batch = section.Data.ReadBatches([SpotColumns.Barcode, SpotColumns.Counts]).Single();
        int i = Array.IndexOf(hest.Barcodes, batch.GetTexts(SpotColumns.Barcode)[1]);
        Assert.Equal([hest.CountsRow(i)[3], hest.CountsRow(i)[0]], batch.GetTensorRow(SpotColumns.Counts, 1).ToArray());
    }

    [Fact]
    public void AnnDataFile_NeedsAnImage_AndTakesPixelSizeFromScanpyScalefactors()
    {
        RequirePython();
        using var folder = new TempFolder();
        var hest = HestFixture.Write(folder.Path, "S1", metadata: "none");
        string lone = folder.File("lone.h5ad");
        File.Copy(Path.Combine(hest.Root, "st", "S1.h5ad"), lone);
        Assert.Equal(SectionFormat.AnnData, SectionLoader.Detect(lone));
        Assert.Equal(SectionFormat.Hest, SectionLoader.Detect(Path.Combine(hest.Root, "st", "S1.h5ad")));
        Assert.Contains("no H&E image", Assert.Throws<ArgumentException>(() => SectionLoader.Load(lone)).Message);

        var section = SectionLoader.Load(lone, new SectionLoadOptions { ImagePath = Path.Combine(hest.Root, "wsis", "S1.tif") });
        Assert.Equal(SectionFormat.AnnData, section.Format);
        Assert.Equal(55.0 / HestFixture.SpotDiameterFullres, section.MicronsPerPixel!.Value, 9);
        Assert.Equal(hest.Barcodes.Length - 1, section.Data.Rows);
    }

    [Fact]
    public void Hest_WithoutPixelSize_LeavesItUnknown_AndPatchCuttingSaysSo()
    {
        RequirePython();
        using var folder = new TempFolder();
        var hest = HestFixture.Write(folder.Path, "S1", metadata: "none", scalefactors: false);
        var section = SectionLoader.Load(hest.Root);
        Assert.Null(section.MicronsPerPixel);
        Assert.Contains(section.Notes, n => n.StartsWith("µm per pixel unknown"));
        var ml = SeededContext.Create(1);
        var patches = ml.Transforms.LoadPatches("Patch", "Image", 112, 32).Fit(section.Data).Transform(section.Data);
        var error = Assert.ThrowsAny<Exception>(() => { _ = patches.ReadBatches(["Patch"]).First(); });
        Assert.Matches("(?i)microns.per.pixel", error.Message);
    }

    [Theory]
    [InlineData("small.jpg", "copy")]
    [InlineData("small.tif", "tiffsave")]
    public void Hest_SlideSmallerThanTheSpots_ErrorCountsTheSpotsOutside(string name, string vipsCommand)
    {
        RequirePython();
        using var folder = new TempFolder();
        var hest = HestFixture.Write(folder.Path, "S1", metadata: "json");
        WriteImage(folder.File(name), 100, 100, vipsCommand);
        var error = Assert.Throws<InvalidDataException>(() => SectionLoader.Load(hest.Root, new SectionLoadOptions { ImagePath = folder.File(name) }));
        // Spots at x = 20 + 25i, y = 30 + 15i (i = 0..11, spot 4 without position): those with i ≥ 4 leave a 100×100 image.
        Assert.Contains("7 of 11 spot(s) lie outside the 100×100 image", error.Message);
    }

    [Fact]
    public void Hest_TruncatedH5ad_IsAClearError()
    {
        RequirePython();
        using var folder = new TempFolder();
        var hest = HestFixture.Write(folder.Path, "S1", metadata: "json");
        string h5ad = Path.Combine(hest.Root, "st", "S1.h5ad");
        var bytes = File.ReadAllBytes(h5ad);
        File.WriteAllBytes(h5ad, bytes[..(bytes.Length * 2 / 3)]);
        var error = Assert.Throws<InvalidDataException>(() => SectionLoader.Load(hest.Root));
        Assert.Contains("S1.h5ad", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void HestPatchSource_ReadsPatchesAsChannelFirstFloats()
    {
        RequirePython();
        using var folder = new TempFolder();
        string[] barcodes = ["AAA-1", "CCC-1", "GGG-1"];
        var spec = new { barcodes, coords = new[] { new[] { 10, 20 }, new[] { 30, 40 }, new[] { 50, 60 } }, height = 6, width = 4 };
        File.WriteAllText(folder.File("p.json"), JsonSerializer.Serialize(spec));
        Directory.CreateDirectory(folder.File("patches"));
        RunPython("patches", folder.File("p.json"), Path.Combine(folder.Path, "patches", "S1.h5"));

        var source = HestLoader.LoadPatches(folder.Path, "S1");
        Assert.Equal([3, 6, 4], source.Schema[HestPatchSource.PatchColumn].Type.Dimensions);
        var batches = source.ReadBatches([SpotColumns.Barcode, SpotColumns.PixelX, SpotColumns.PixelY, HestPatchSource.PatchColumn], batchSize: 2).ToList();
        Assert.Equal(2, batches.Count);
        Assert.Equal(barcodes, batches.SelectMany(b => b.GetTexts(SpotColumns.Barcode)));
        Assert.Equal([10.0, 30, 50], batches.SelectMany(b => b.GetDoubles(SpotColumns.PixelX)));
        Assert.Equal([20.0, 40, 60], batches.SelectMany(b => b.GetDoubles(SpotColumns.PixelY)));
        // img[i, y, x, c] = (7i + 3y + 5x + 11c) mod 256, as the script writes it.
        var last = batches[1].GetTensorRow(HestPatchSource.PatchColumn, 0);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 4; x++)
                    Assert.Equal((7 * 2 + 3 * y + 5 * x + 11 * c) % 256 / 255f, last[(c * 6 + y) * 4 + x], 6);

        var bad = folder.File("bad.h5");
        using (var f = Hdf5File.Create(bad)) f.WriteDataset("coords", new double[] { 1, 2 }).Dispose();
        Assert.Contains("img, barcode", Assert.Throws<InvalidDataException>(() => HestPatchSource.Open(bad)).Message);
    }

    // ---------------------------------------------------------------- detection

    [Fact]
    public void SectionLoader_DetectsEachLayout_AndRejectsOthersWithTheList()
    {
        using var folder = new TempFolder();
        var fx = VisiumFixture.Write(Path.Combine(folder.Path, "run"), matrixAsH5: true, positionsWithHeader: true);
        Assert.Equal(SectionFormat.Her2st, SectionLoader.Detect(RepositoryPaths.Her2st("C2")));
        Assert.Equal(SectionFormat.Visium, SectionLoader.Detect(fx.Outs));
        Assert.Equal(SectionFormat.Visium, SectionLoader.Detect(Path.Combine(folder.Path, "run")));   // the run folder above outs/
        Directory.CreateDirectory(Path.Combine(folder.Path, "hest", "st"));
        Directory.CreateDirectory(Path.Combine(folder.Path, "hest", "wsis"));
        Assert.Equal(SectionFormat.Hest, SectionLoader.Detect(Path.Combine(folder.Path, "hest")));
        Directory.CreateDirectory(folder.File("empty"));
        Assert.Null(SectionLoader.Detect(folder.File("empty")));
        Assert.Contains("Space Ranger outs/", Assert.Throws<NotSupportedException>(() => SectionLoader.Load(folder.File("empty"))).Message);
        Assert.Contains("a 10x matrix alone has no spot positions",
            Assert.Throws<NotSupportedException>(() => SectionLoader.Load(Path.Combine(fx.Outs, "filtered_feature_bc_matrix.h5"))).Message);
        Assert.Throws<FileNotFoundException>(() => SectionLoader.Load(folder.File("missing")));

        var her2st = SectionLoader.Load(RepositoryPaths.Her2st("C3"), new SectionLoadOptions { RequireCounts = false });
        Assert.Equal(SectionFormat.Her2st, her2st.Format);
        Assert.Contains(her2st.Dropped, d => d.Contains("2 selected spot(s) without a count row"));
    }

    // ---------------------------------------------------------------- predictions out

    [Fact]
    public void PredictionH5ad_IsReadByAnnData_WithLayersSpatialAndProvenance()
    {
        RequirePython();
        using var folder = new TempFolder();
        string[] genes = ["ERBB2", "ESR1", "KRT5"];
        var schema = SchemaExtensions.Create(
        [
            SchemaColumns.Create(SpotColumns.Barcode, ColumnTypes.Text),
            SchemaColumns.Create(SpotColumns.ArrayX, ColumnTypes.Int32),
            SchemaColumns.Create(SpotColumns.ArrayY, ColumnTypes.Int32),
            SchemaColumns.Create(SpotColumns.PixelX, ColumnTypes.Float64),
            SchemaColumns.Create(SpotColumns.PixelY, ColumnTypes.Float64),
            SchemaColumns.Create("Score", ColumnTypes.FloatTensor(3), genes),
            SchemaColumns.Create("ScoreStd", ColumnTypes.FloatTensor(3), genes),
        ]);
        var view = new InMemoryDataView(schema, 2, new Dictionary<string, Array>
        {
            [SpotColumns.Barcode] = new[] { "AAAC-1", "GGTT-1" },
            [SpotColumns.ArrayX] = new[] { 3, 4 },
            [SpotColumns.ArrayY] = new[] { 7, 8 },
            [SpotColumns.PixelX] = new[] { 100.5, 200.25 },
            [SpotColumns.PixelY] = new[] { 50.0, 60.0 },
            ["Score"] = new[] { 1.5f, 2f, 3f, 4f, 5f, 6f },
            ["ScoreStd"] = new[] { .1f, .2f, .3f, .4f, .5f, .6f },
        });
        string path = folder.File("pred.h5ad");
        int rows = PredictionH5adWriter.Write(view, path, new PredictionProvenance("/models/m.zip") { Input = "/data/s1" });
        Assert.Equal(2, rows);

        using var check = CheckWithAnnData(path);
        var root = check.RootElement;
        Assert.Equal([2, 3], root.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(["AAAC-1", "GGTT-1"], Strings(root.GetProperty("obs_names")));
        Assert.Equal(genes, Strings(root.GetProperty("var_names")));
        Assert.Equal([1.5, 2, 3], root.GetProperty("x_first_row").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(["std"], Strings(root.GetProperty("layers")));
        Assert.Equal([7, 8], root.GetProperty("array_row").EnumerateArray().Select(e => e.GetInt32()));
        var spatial = root.GetProperty("spatial").EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
        Assert.Equal([100.5, 50.0], spatial[0]);
        Assert.Equal([200.25, 60.0], spatial[1]);
        var uns = root.GetProperty("uns");
        Assert.Equal("/models/m.zip", uns.GetProperty("model").GetString());
        Assert.Equal("/data/s1", uns.GetProperty("input").GetString());
        Assert.Equal(3, uns.GetProperty("panel_size").GetInt32());
        Assert.Equal(PredictionProvenance.CurrentVersion, uns.GetProperty("mlnetstem_version").GetString());
    }

    [Fact]
    public void Cli_PredictOnHestFolder_WritesAnH5adThatAnnDataOpens()
    {
        RequirePython();
        using var folder = new TempFolder();
        // Train the CLI's standard pipeline on the bundled section (small and fast settings).
        var ml = SeededContext.Create(1);
        var c2 = Her2stLoader.Load(RepositoryPaths.Her2st("C2"));
        var model = StandardPipeline.Build(ml, new PipelineSettings(Genes: 12, PatchPixels: 32)).Fit(c2.Data);
        string modelPath = folder.File("model.zip");
        ml.SpatialExpression().SaveModel(model, c2.Data.Schema, modelPath);
        var panel = ((IEnumerable<ITransformer>)model).OfType<SelectGenesTransformer>().Single().Genes;

        // A HEST-like sample cut from the same H&E: a pyramidal TIFF crop, spots shifted into it,
        // counts for the panel's first genes plus genes the model never saw.
        var hest = HestFixture.FromHer2st(folder.File("hest"), "C2CROP", c2, panel.Take(8).Concat(["NOT_IN_PANEL1", "NOT_IN_PANEL2"]).ToArray());
        var (code, stdout, stderr) = CliTests.Run("predict", "--input", hest.Root, "--model", modelPath, "--output", folder.File("pred.h5ad"));
        Assert.True(code == 0, stderr);
        Assert.Contains($"wrote {hest.Barcodes.Length} spots × {panel.Count} genes", stdout);
        Assert.Contains("(Hest)", stderr);

        using var check = CheckWithAnnData(folder.File("pred.h5ad"));
        var root = check.RootElement;
        Assert.Equal([hest.Barcodes.Length, panel.Count], root.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(hest.Barcodes, Strings(root.GetProperty("obs_names")));
        Assert.Equal(panel, Strings(root.GetProperty("var_names")));
        Assert.True(root.GetProperty("x_finite").GetBoolean());
        Assert.Equal(["observed"], Strings(root.GetProperty("layers")));   // the section's log-normalized counts over the panel
        var spatial = root.GetProperty("spatial").EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
        for (int i = 0; i < hest.Barcodes.Length; i++)
        {
            Assert.Equal(hest.X[i], spatial[i][0], 9);
            Assert.Equal(hest.Y[i], spatial[i][1], 9);
        }
        Assert.Equal(Path.GetFullPath(modelPath), root.GetProperty("uns").GetProperty("model").GetString());

        // Space Ranger output through the same command (none of its genes is in the panel: predicted from the image alone).
        var visium = VisiumFixture.Write(folder.File("visium"), matrixAsH5: true, positionsWithHeader: true);
        var fromVisium = CliTests.Run("predict", "--input", visium.Outs, "--image", visium.FullresImage, "--model", modelPath, "--output", folder.File("visium.h5ad"));
        Assert.True(fromVisium.Code == 0, fromVisium.Err);
        Assert.Contains("loaded outs (Visium): 9 spots, no counts, 0.5 µm/px", fromVisium.Err);
        using var visiumCheck = CheckWithAnnData(folder.File("visium.h5ad"));
        Assert.Equal(visium.ExpectedBarcodes, Strings(visiumCheck.RootElement.GetProperty("obs_names")));

        // The same input to CSV, and an unknown extension refused.
        var csv = CliTests.Run("predict", "--input", hest.Root, "--model", modelPath, "--output", folder.File("pred.csv"));
        Assert.True(csv.Code == 0, csv.Err);
        Assert.Equal(hest.Barcodes.Length + 1, File.ReadAllLines(folder.File("pred.csv")).Length);
        Assert.Equal(2, CliTests.Run("predict", "--input", hest.Root, "--model", modelPath, "--output", folder.File("pred.txt")).Code);
    }

    // ---------------------------------------------------------------- helpers

    private static string[] Texts(IDataView data, string column) =>
        data.ReadBatches([column]).SelectMany(b => b.GetTexts(column)).ToArray();

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static void RequirePython()
    {
        if (!File.Exists(Python))
            Assert.Fail($"Format interoperability tests need {Python} with anndata and h5py (Debian python3-anndata, python3-h5py; scripts/setup.sh).");
    }

    private static JsonDocument CheckWithAnnData(string h5ad) => JsonDocument.Parse(RunPython("check", h5ad));

    internal static string RunPython(params string[] args) =>
        RunTool(Python, [Path.Combine(AppContext.BaseDirectory, "Python", "format_fixtures.py"), .. args]);

    internal static string RunTool(string tool, params string[] args)
    {
        var (code, stdout, stderr) = ChildProcess.Run(tool, args, TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["PYTHONWARNINGS"] = "ignore", ["PYTHONDONTWRITEBYTECODE"] = "1" });
        Assert.True(code == 0, $"{tool} {string.Join(' ', args)} failed: {stderr}");
        return stdout;
    }

    /// <summary>Writes a binary PPM (P6) and converts it with the vips CLI to <paramref name="target"/> (format from its name and options).</summary>
    internal static void WriteImage(string target, int width, int height, string vipsCommand = "copy", params string[] options)
    {
        string ppm = target + ".ppm";
        using (var stream = File.Create(ppm))
        {
            stream.Write(Encoding.ASCII.GetBytes($"P6\n{width} {height}\n255\n"));
            var row = new byte[width * 3];
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    row[3 * x] = (byte)(200 - (x * 7 + y * 3) % 60);
                    row[3 * x + 1] = (byte)(120 + (x * 5) % 50);
                    row[3 * x + 2] = (byte)(180 + (y * 11) % 40);
                }
                stream.Write(row);
            }
        }
        RunTool("vips", [vipsCommand, ppm, target, .. options]);
        File.Delete(ppm);
    }

    /// <summary>
    /// A small Space Ranger outs folder. Array grid 3 rows × 4 columns, barcodes "S{row}{col}-1";
    /// S00-1 and S01-1 are outside the tissue. Full-resolution pixels: x = 50 + 100·col, y = 60 + 80·row
    /// on a 400×300 image; hires image 200×150 (scale 0.5); spot diameter 110 px (0.5 µm/px at full resolution).
    /// Counts: barcodes S00-1 (out of tissue), every in-tissue spot but S23-1, and ZZZZ-1 (no position);
    /// features GENE_A, DUP, GENE_B, DUP, DUP-1 (Gene Expression) and ADT_X (Antibody Capture);
    /// count(b, f) = 10(b + 1) + f unless (b + f) is a multiple of 3.
    /// </summary>
    private sealed class VisiumFixture
    {
        public const double HiresScale = 0.5;
        private static readonly string[] FeatureNames = ["GENE_A", "DUP", "GENE_B", "DUP", "DUP-1", "ADT_X"];

        public required string Outs { get; init; }
        public required string FullresImage { get; init; }
        public required string[] CountBarcodes { get; init; }

        public string[] ExpectedBarcodes => CountBarcodes.Where(b => b != "ZZZZ-1" && b != "S00-1").ToArray();

        public static double FullresX(int col) => 50 + 100 * col;

        public static double FullresY(int row) => 60 + 80 * row;

        public static (int Row, int Col) ArrayOf(string barcode) => (barcode[1] - '0', barcode[2] - '0');

        private static float Count(int b, int f) => (b + f) % 3 == 0 ? 0 : 10 * (b + 1) + f;

        public float[] ExpectedCounts(string barcode)
        {
            int b = Array.IndexOf(CountBarcodes, barcode);
            return Enumerable.Range(0, 5).Select(f => Count(b, f)).ToArray();
        }

        public static VisiumFixture Write(string root, bool matrixAsH5, bool positionsWithHeader, string? omitDataset = null,
            int dropLastEntries = 0, string barcodeSuffix = "-1", bool h5ByH5py = false)
        {
            string outs = Path.Combine(root, "outs");
            string spatial = Path.Combine(outs, "spatial");
            Directory.CreateDirectory(spatial);
            var positions = new StringBuilder();
            if (positionsWithHeader) positions.Append("barcode,in_tissue,array_row,array_col,pxl_row_in_fullres,pxl_col_in_fullres\n");
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 4; c++)
                    positions.Append(CultureInfo.InvariantCulture, $"S{r}{c}-1,{(r == 0 && c < 2 ? 0 : 1)},{r},{c},{FullresY(r)},{FullresX(c)}\n");
            File.WriteAllText(Path.Combine(spatial, positionsWithHeader ? "tissue_positions.csv" : "tissue_positions_list.csv"), positions.ToString());
            File.WriteAllText(Path.Combine(spatial, "scalefactors_json.json"),
                "{\"spot_diameter_fullres\": 110.0, \"tissue_hires_scalef\": 0.5, \"fiducial_diameter_fullres\": 170.0, \"tissue_lowres_scalef\": 0.15}");
            WriteImage(Path.Combine(spatial, "tissue_hires_image.png"), 200, 150);
            string fullres = Path.Combine(root, "fullres.png");
            WriteImage(fullres, 400, 300);

            var barcodes = new List<string> { "S00-1" };
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 4; c++)
                    if (!(r == 0 && c < 2) && !(r == 2 && c == 3)) barcodes.Add($"S{r}{c}-1");
            barcodes.Add("ZZZZ-1");
            var countBarcodes = barcodes.Select(b => b[..^2] + barcodeSuffix).ToArray();

            var indptr = new List<long> { 0 };
            var indices = new List<long>();
            var data = new List<int>();
            for (int b = 0; b < countBarcodes.Length; b++)
            {
                for (int f = 0; f < FeatureNames.Length; f++)
                    if (Count(b, f) != 0) { indices.Add(f); data.Add((int)Count(b, f)); }
                indptr.Add(indices.Count);
            }
            string[] types = ["Gene Expression", "Gene Expression", "Gene Expression", "Gene Expression", "Gene Expression", "Antibody Capture"];
            if (h5ByH5py)
            {
                string spec = Path.Combine(root, "tenx.json");
                File.WriteAllText(spec, JsonSerializer.Serialize(new
                {
                    barcodes = countBarcodes, data, indices, indptr, names = FeatureNames, types,
                    ids = FeatureNames.Select((_, i) => $"ENSG{i:D5}").ToArray(),
                }));
                RunPython("tenx", spec, Path.Combine(outs, "filtered_feature_bc_matrix.h5"));
            }
            else if (matrixAsH5)
            {
                using var file = Hdf5File.Create(Path.Combine(outs, "filtered_feature_bc_matrix.h5"));
                using var m = file.CreateGroup("matrix");
                m.WriteStrings("barcodes", countBarcodes).Dispose();
                m.WriteDataset("data", data.ToArray()).Dispose();
                m.WriteDataset("indices", indices.ToArray()).Dispose();
                if (omitDataset != "indptr") m.WriteDataset("indptr", indptr.ToArray()).Dispose();
                m.WriteDataset("shape", new[] { FeatureNames.Length, countBarcodes.Length }).Dispose();
                using var features = m.CreateGroup("features");
                features.WriteStrings("name", FeatureNames).Dispose();
                features.WriteStrings("id", FeatureNames.Select((_, i) => $"ENSG{i:D5}").ToArray()).Dispose();
                features.WriteStrings("feature_type", types).Dispose();
                features.WriteStrings("genome", FeatureNames.Select(_ => "GRCh38").ToArray()).Dispose();
            }
            else
            {
                string mtx = Path.Combine(outs, "filtered_feature_bc_matrix");
                Directory.CreateDirectory(mtx);
                WriteGz(Path.Combine(mtx, "barcodes.tsv.gz"), string.Concat(countBarcodes.Select(b => b + "\n")));
                WriteGz(Path.Combine(mtx, "features.tsv.gz"), string.Concat(FeatureNames.Select((n, i) => $"ENSG{i:D5}\t{n}\t{types[i]}\n")));
                var text = new StringBuilder("%%MatrixMarket matrix coordinate integer general\n%metadata_json: {}\n");
                text.Append(CultureInfo.InvariantCulture, $"{FeatureNames.Length} {countBarcodes.Length} {data.Count}\n");
                int written = 0;
                for (int b = 0; b < countBarcodes.Length; b++)
                    for (long e = indptr[b]; e < indptr[b + 1] && written < data.Count - dropLastEntries; e++, written++)
                        text.Append(CultureInfo.InvariantCulture, $"{indices[(int)e] + 1} {b + 1} {data[(int)e]}\n");
                WriteGz(Path.Combine(mtx, "matrix.mtx.gz"), text.ToString());
            }
            return new VisiumFixture { Outs = outs, FullresImage = fullres, CountBarcodes = countBarcodes };
        }

        private static void WriteGz(string path, string text)
        {
            using var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest);
            gz.Write(Encoding.UTF8.GetBytes(text));
        }
    }

    /// <summary>
    /// A HEST-1k-like folder: st/&lt;id&gt;.h5ad written by the real anndata (CSR X, obsm spatial, obs array
    /// positions and in_tissue), wsis/&lt;id&gt;.tif a tiled pyramidal TIFF made by vips, and metadata as JSON,
    /// CSV or nothing. The synthetic sample has 12 spots on a 300×240 slide; spot <see cref="NanSpot"/> has no coordinates.
    /// </summary>
    private sealed class HestFixture
    {
        public const int NanSpot = 4;
        public const double SpotDiameterFullres = 220;

        public required string Root { get; init; }
        public required string[] Barcodes { get; init; }
        public required string[] Genes { get; init; }
        public required double[] X { get; init; }
        public required double[] Y { get; init; }
        public required float[][] Counts { get; init; }

        public float[] CountsRow(int spot) => Counts[spot];

        public static HestFixture Write(string root, string id, string metadata, bool scalefactors = true)
        {
            var barcodes = Enumerable.Range(0, 12).Select(i => $"{(char)('A' + i)}ACGT-1").ToArray();
            string[] genes = ["MT-CO1", "ERBB2", "KRT19", "ACTB", "EMPTY1"];
            var x = Enumerable.Range(0, 12).Select(i => 20.0 + 25 * i).ToArray();
            var y = Enumerable.Range(0, 12).Select(i => 30.0 + 15 * i).ToArray();
            var counts = Enumerable.Range(0, 12).Select(i => genes.Select((_, g) => g == 4 ? 0f : (i * 3 + g * 5) % 7).ToArray()).ToArray();
            var fixture = new HestFixture { Root = root, Barcodes = barcodes, Genes = genes, X = x, Y = y, Counts = counts };
            fixture.Save(id, metadata, scalefactors, image: target => WriteImage(target, 300, 240, "tiffsave", "--tile", "--pyramid"), nanSpot: NanSpot);
            return fixture;
        }

        public static HestFixture FromHer2st(string root, string id, Her2stSection section, string[] genes)
        {
            var batch = section.Data.ReadBatches([SpotColumns.Barcode, SpotColumns.PixelX, SpotColumns.PixelY, SpotColumns.Counts, SpotColumns.Image]).Single();
            var px = batch.GetDoubles(SpotColumns.PixelX);
            var py = batch.GetDoubles(SpotColumns.PixelY);
            double cx = px.Order().ElementAt(px.Length / 2), cy = py.Order().ElementAt(py.Length / 2);
            int left = (int)cx - 700, top = (int)cy - 700, size = 1400;
            var rows = Enumerable.Range(0, batch.RowCount)
                .Where(r => px[r] > left + 100 && px[r] < left + size - 100 && py[r] > top + 100 && py[r] < top + size - 100).ToArray();
            var slots = section.Data.Schema[SpotColumns.Counts].SlotNames!;
            var position = genes.Select(g => slots.ToList().IndexOf(g)).ToArray();
            int width = slots.Count;
            var all = batch.GetFloats(SpotColumns.Counts);
            var fixture = new HestFixture
            {
                Root = root,
                Barcodes = rows.Select(r => batch.GetTexts(SpotColumns.Barcode)[r]).ToArray(),
                Genes = genes,
                X = rows.Select(r => px[r] - left).ToArray(),
                Y = rows.Select(r => py[r] - top).ToArray(),
                Counts = rows.Select(r => position.Select(p => p < 0 ? 3f : all[(long)r * width + p]).ToArray()).ToArray(),
            };
            string he = batch.GetImages(SpotColumns.Image)[0].Path;
            fixture.Save(id, "json", scalefactors: false, image: target =>
                RunTool("vips", "extract_area", he, target + "[tile,pyramid,compression=jpeg]", $"{left}", $"{top}", $"{size}", $"{size}"),
                nanSpot: -1, micronsPerPixel: section.MicronsPerPixel);
            return fixture;
        }

        // Starting Python with anndata costs ~2 s, so each distinct spec is written once per test process, into a folder
        // of this process only (never a fixed path another run could be rewriting), removed when the process exits.
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string>> Written = new();
        private static readonly Lazy<string> CacheFolder = new(() =>
        {
            string folder = Path.Combine(Path.GetTempPath(), "mlnetstem-format-fixtures-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            };
            return folder;
        });

        private static string H5adFor(string spec) => Written.GetOrAdd(spec, key => new Lazy<string>(() =>
        {
            string cache = CacheFolder.Value;
            string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
            string specPath = Path.Combine(cache, hash + ".json"), h5ad = Path.Combine(cache, hash + ".h5ad");
            File.WriteAllText(specPath, key);
            RunPython("h5ad", specPath, h5ad);
            return h5ad;
        })).Value;

        private void Save(string id, string metadata, bool scalefactors, Action<string> image, int nanSpot, double micronsPerPixel = 0.25)
        {
            Directory.CreateDirectory(Path.Combine(Root, "st"));
            Directory.CreateDirectory(Path.Combine(Root, "wsis"));
            var spec = new Dictionary<string, object>
            {
                ["obs_names"] = Barcodes,
                ["var_names"] = Genes,
                ["X"] = Counts,
                ["spatial"] = Barcodes.Select((_, i) => i == nanSpot ? new double?[] { null, null } : new double?[] { X[i], Y[i] }).ToArray(),
                ["obs"] = new Dictionary<string, object>
                {
                    ["in_tissue"] = Barcodes.Select(_ => 1).ToArray(),
                    ["array_row"] = Barcodes.Select((_, i) => i / 5).ToArray(),
                    ["array_col"] = Barcodes.Select((_, i) => i % 5).ToArray(),
                },
            };
            if (scalefactors) spec["spot_diameter_fullres"] = SpotDiameterFullres;
            File.Copy(H5adFor(JsonSerializer.Serialize(spec)), Path.Combine(Root, "st", id + ".h5ad"));
            image(Path.Combine(Root, "wsis", id + ".tif"));
            string mpp = micronsPerPixel.ToString("R", CultureInfo.InvariantCulture);
            if (metadata == "json")
            {
                Directory.CreateDirectory(Path.Combine(Root, "metadata"));
                File.WriteAllText(Path.Combine(Root, "metadata", id + ".json"),
                    $"{{\"id\": \"{id}\", \"st_technology\": \"Visium\", \"pixel_size_um_embedded\": 9.9, \"pixel_size_um_estimated\": {mpp}}}");
            }
            else if (metadata == "csv")
            {
                File.WriteAllText(Path.Combine(Root, "HEST_v1_1_0.csv"),
                    "dataset_title,id,pixel_size_um_embedded,pixel_size_um_estimated\n" +
                    "\"Other, study\",OTHER,0.3,0.31\n" +
                    $"\"A study, quoted\",{id},0.5,\n");
            }
        }
    }
}
