using MlNetStem.Data;

namespace MlNetStem.Reliability.Tests;

/// <summary>Small generated inputs shared by the fuzz families.</summary>
internal static class Fixtures
{
    /// <summary>A small Space Ranger outs folder: 3×4 spots in tissue, 5 genes, uncompressed Matrix Market, a hires PNG.</summary>
    public static string VisiumOuts(string outs)
    {
        string spatial = Path.Combine(outs, "spatial"), mtx = Path.Combine(outs, "filtered_feature_bc_matrix");
        Directory.CreateDirectory(spatial);
        Directory.CreateDirectory(mtx);
        var barcodes = new List<string>();
        var positions = new System.Text.StringBuilder("barcode,in_tissue,array_row,array_col,pxl_row_in_fullres,pxl_col_in_fullres\n");
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++)
            {
                barcodes.Add($"S{r}{c}-1");
                positions.Append(System.Globalization.CultureInfo.InvariantCulture, $"S{r}{c}-1,1,{r},{c},{40 + 60 * r},{40 + 60 * c}\n");
            }
        File.WriteAllText(Path.Combine(spatial, "tissue_positions.csv"), positions.ToString());
        File.WriteAllText(Path.Combine(spatial, "scalefactors_json.json"),
            "{\"spot_diameter_fullres\": 110.0, \"tissue_hires_scalef\": 0.5, \"fiducial_diameter_fullres\": 170.0, \"tissue_lowres_scalef\": 0.15}");
        WritePng(Path.Combine(spatial, "tissue_hires_image.png"), 200, 150);
        File.WriteAllText(Path.Combine(mtx, "barcodes.tsv"), string.Concat(barcodes.Select(b => b + "\n")));
        File.WriteAllText(Path.Combine(mtx, "features.tsv"), string.Concat(Enumerable.Range(0, 5).Select(g => $"ENSG{g:D5}\tGENE{g}\tGene Expression\n")));
        var entries = new List<string>();
        for (int b = 0; b < barcodes.Count; b++)
            for (int g = 0; g < 5; g++)
                if ((b + g) % 3 != 0) entries.Add($"{g + 1} {b + 1} {10 * (b + 1) + g}");
        File.WriteAllText(Path.Combine(mtx, "matrix.mtx"),
            $"%%MatrixMarket matrix coordinate integer general\n5 {barcodes.Count} {entries.Count}\n" + string.Concat(entries.Select(e => e + "\n")));
        return outs;
    }

    public static void WritePng(string path, int width, int height)
    {
        var rgba = Enumerable.Range(0, width * height * 4).Select(i => (byte)(i % 4 == 3 ? 255 : 200 - i % 50)).ToArray();
        using var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, rgba);
        image.Save(path);
    }

    public static InMemoryDataView Scored(int rows, int genes)
    {
        var random = new Random(8);
        return new InMemoryDataView([
            SchemaColumns.Create(SpotColumns.Barcode, ColumnTypes.Text),
            SchemaColumns.Create(SpotColumns.PixelX, ColumnTypes.Float64),
            SchemaColumns.Create(SpotColumns.PixelY, ColumnTypes.Float64),
            SchemaColumns.Create("Score", ColumnTypes.FloatTensor(genes), Enumerable.Range(0, genes).Select(g => $"G{g}").ToArray()),
        ], rows, new Dictionary<string, Array>
        {
            [SpotColumns.Barcode] = Enumerable.Range(0, rows).Select(r => $"spot{r}").ToArray(),
            [SpotColumns.PixelX] = Enumerable.Range(0, rows).Select(r => 10.0 * r).ToArray(),
            [SpotColumns.PixelY] = Enumerable.Range(0, rows).Select(r => 5.0 * r).ToArray(),
            ["Score"] = Enumerable.Range(0, rows * genes).Select(_ => (float)random.NextDouble()).ToArray(),
        });
    }

    /// <summary>The 10x HDF5 layout (CSC by barcode) of the Visium fixture's counts.</summary>
    public static void WriteTenxH5(string path, IReadOnlyList<string> barcodes)
    {
        var indptr = new List<long> { 0 };
        var indices = new List<long>();
        var data = new List<int>();
        for (int b = 0; b < barcodes.Count; b++)
        {
            for (int g = 0; g < 5; g++)
                if ((b + g) % 3 != 0) { indices.Add(g); data.Add(10 * (b + 1) + g); }
            indptr.Add(indices.Count);
        }
        using var file = Hdf5.Hdf5File.Create(path);
        using var m = file.CreateGroup("matrix");
        m.WriteStrings("barcodes", barcodes.ToArray()).Dispose();
        m.WriteDataset("data", data.ToArray()).Dispose();
        m.WriteDataset("indices", indices.ToArray()).Dispose();
        m.WriteDataset("indptr", indptr.ToArray()).Dispose();
        m.WriteDataset("shape", new[] { 5, barcodes.Count }).Dispose();
        using var features = m.CreateGroup("features");
        features.WriteStrings("name", Enumerable.Range(0, 5).Select(g => $"GENE{g}").ToArray()).Dispose();
        features.WriteStrings("id", Enumerable.Range(0, 5).Select(g => $"ENSG{g:D5}").ToArray()).Dispose();
        features.WriteStrings("feature_type", Enumerable.Repeat("Gene Expression", 5).ToArray()).Dispose();
        features.WriteStrings("genome", Enumerable.Repeat("GRCh38", 5).ToArray()).Dispose();
    }
}
