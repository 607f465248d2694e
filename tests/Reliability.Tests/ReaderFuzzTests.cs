using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Onnx;
using MlNetStem.TestKit;
using MlNetStem.Trainers;
using MlNetStem.Transforms;
using Xunit;
using Xunit.Abstractions;

namespace MlNetStem.Reliability.Tests;

/// <summary>
/// Seeded mutation fuzzing of every reader the CLI feeds with user files: each mutated input must either load or be
/// refused with an exception the CLI reports as bad input, never an unexpected exception (a crash) or an unbounded
/// allocation. Outcome counts are printed (see docs/RELIABILITY.md); rerun with
/// <c>dotnet test tests/Reliability.Tests -c Release --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class ReaderFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Cases = 40;
    private readonly TempFolder _folder = new();
    private readonly List<string> _bugs = [];

    public void Dispose() => _folder.Dispose();

    private void AssertNoBugs() => Assert.True(_bugs.Count == 0, string.Join("\n", _bugs));

    [Fact]
    public void Her2stCounts_Mutated_LoadOrAreRefusedClearly()
    {
        string folder = Her2stCopy("counts");
        string counts = Path.Combine(folder, "counts.tsv.gz");
        FuzzRun.Run("HER2ST counts.tsv.gz", File.ReadAllBytes(counts), Cases, seed: 1, bytes =>
        {
            File.WriteAllBytes(counts, bytes);
            _ = SectionLoader.Load(folder).Data.Rows;
        }, output, _bugs);
        AssertNoBugs();
    }

    [Fact]
    public void Her2stSpots_Mutated_LoadOrAreRefusedClearly()
    {
        string folder = Her2stCopy("spots");
        string spots = Path.Combine(folder, "spots.tsv");
        FuzzRun.Run("HER2ST spots.tsv", File.ReadAllBytes(spots), Cases, seed: 2, bytes =>
        {
            File.WriteAllBytes(spots, bytes);
            _ = SectionLoader.Load(folder).Data.Rows;
        }, output, _bugs);
        AssertNoBugs();
    }

    [Fact]
    public void ModelArchive_Mutated_LoadsAndPredictsOrIsRefusedClearly()
    {
        var data = Features(30, 4, withLabels: true);
        var model = new MLContext(1).SpatialExpression().Trainers.Ridge(alpha: 1).Fit(data);
        string path = _folder.File("model.zip");
        ModelArchive.Save(model, data.Schema, path);
        string mutated = _folder.File("mutated.zip");
        FuzzRun.Run("model .zip", File.ReadAllBytes(path), Cases, seed: 4, bytes =>
        {
            File.WriteAllBytes(mutated, bytes);
            var loaded = ModelArchive.Load(mutated, out _);
            _ = DataViewMaterializer.Materialize(loaded.Transform(data), ["Score"]).Rows;
        }, output, _bugs);
        AssertNoBugs();
    }

    [Fact]
    public void OnnxModel_Mutated_RunsOrIsRefusedClearly()
    {
        var data = Features(30, 4, withLabels: true);
        byte[] onnx = new MLContext(1).SpatialExpression().Trainers.Ridge(alpha: 1).Fit(data).ExportOnnx();
        var input = new float[2 * 4];
        FuzzRun.Run("ONNX model", onnx, Cases, seed: 5, bytes =>
        {
            using var session = OnnxSession.FromBytes(bytes);
            var name = session.Inputs[0].Name;
            _ = session.Run(new Dictionary<string, OnnxTensor> { [name] = OnnxTensor.Create(input, 2, 4) }, session.Outputs[0].Name);
        }, output, _bugs);
        AssertNoBugs();
    }

    [Fact]
    public void Jpeg_Mutated_PatchesLoadOrAreRefusedClearly()
    {
        string jpeg = _folder.File("tile.jpg");
        WriteJpeg(jpeg, 128, 96);
        var ml = new MLContext(1);
        string mutated = _folder.File("mutated.jpg");
        int round = 0;
        FuzzRun.Run("JPEG image", File.ReadAllBytes(jpeg), Cases, seed: 6, bytes =>
        {
            // A new name each case: a slide cache must never serve an older file's pixels.
            string path = _folder.File($"m{round++}.jpg");
            File.WriteAllBytes(path, bytes);
            var spots = Spots(path);
            var features = ml.Transforms.LoadPatches("Patch", "Image", sizeMicrons: 16, sizePixels: 16)
                .Append(ml.Transforms.FeaturizeMorphology("Features", "Patch")).Fit(spots).Transform(spots);
            _ = DataViewMaterializer.Materialize(features, ["Features"]).Rows;
        }, output, _bugs);
        AssertNoBugs();
    }

    [Fact]
    public void VisiumMatrixMarket_Mutated_LoadOrAreRefusedClearly()
    {
        string outs = VisiumOuts("visium-mtx");
        string matrix = Path.Combine(outs, "filtered_feature_bc_matrix", "matrix.mtx");
        Assert.Equal(12, SectionLoader.Load(outs).Data.Rows);   // the unmutated fixture loads
        FuzzRun.Run("10x matrix.mtx", File.ReadAllBytes(matrix), Cases, seed: 7, bytes =>
        {
            File.WriteAllBytes(matrix, bytes);
            _ = SectionLoader.Load(outs).Data.Rows;
        }, output, _bugs);
        AssertNoBugs();
    }

    [Fact]
    public void VisiumPositions_Mutated_LoadOrAreRefusedClearly()
    {
        string outs = VisiumOuts("visium-positions");
        string positions = Path.Combine(outs, "spatial", "tissue_positions.csv");
        FuzzRun.Run("10x tissue_positions.csv", File.ReadAllBytes(positions), Cases, seed: 8, bytes =>
        {
            File.WriteAllBytes(positions, bytes);
            _ = SectionLoader.Load(outs).Data.Rows;
        }, output, _bugs);
        AssertNoBugs();
    }

    [Fact]
    public void HestMetadataJson_Mutated_LoadOrAreRefusedClearly()
    {
        // A HEST-1k folder: st/S1.h5ad (counts and obsm['spatial']), wsis/S1.png, metadata/S1.json with the pixel size.
        string folder = _folder.File("hest");
        Directory.CreateDirectory(Path.Combine(folder, "st"));
        Directory.CreateDirectory(Path.Combine(folder, "wsis"));
        Directory.CreateDirectory(Path.Combine(folder, "metadata"));
        PredictionH5adWriter.Write(Fixtures.Scored(12, 5), Path.Combine(folder, "st", "S1.h5ad"), new PredictionProvenance("fuzz"));
        Fixtures.WritePng(Path.Combine(folder, "wsis", "S1.png"), 200, 150);
        string json = Path.Combine(folder, "metadata", "S1.json");
        File.WriteAllText(json, """{"pixel_size_um_estimated": 0.5, "pixel_size_um_embedded": 0.25, "organ": "Breast", "st_technology": "Visium"}""");
        Assert.Equal(0.5, SectionLoader.Load(folder).MicronsPerPixel);   // the unmutated fixture loads with its pixel size
        File.WriteAllText(json, "[0.5]");                                   // valid JSON, but not the object HEST writes
        Assert.Contains("S1.json: expected a JSON object", Assert.Throws<InvalidDataException>(() => SectionLoader.Load(folder)).Message);
        File.WriteAllText(json, """{"pixel_size_um_estimated": 0.5, "pixel_size_um_embedded": 0.25, "organ": "Breast", "st_technology": "Visium"}""");
        FuzzRun.Run("HEST metadata/<id>.json (SectionLoader)", File.ReadAllBytes(json), Cases, seed: 10, bytes =>
        {
            File.WriteAllBytes(json, bytes);
            _ = SectionLoader.Load(folder).Data.Rows;
        }, output, _bugs);
        AssertNoBugs();
    }

    private string VisiumOuts(string name) => Fixtures.VisiumOuts(_folder.File(Path.Combine(name, "outs")));

    private string Her2stCopy(string name)
    {
        string folder = _folder.File(name);
        Directory.CreateDirectory(folder);
        string source = RepositoryPaths.Her2st("C2");
        File.Copy(Path.Combine(source, "counts.tsv.gz"), Path.Combine(folder, "counts.tsv.gz"));
        File.Copy(Path.Combine(source, "spots.tsv"), Path.Combine(folder, "spots.tsv"));
        File.CreateSymbolicLink(Path.Combine(folder, "he.jpg"), Path.Combine(source, "he.jpg"));
        return folder;
    }

    private static InMemoryDataView Features(int rows, int width, bool withLabels)
    {
        var random = new Random(7);
        var x = Enumerable.Range(0, rows * width).Select(_ => (float)random.NextDouble()).ToArray();
        var columns = new List<DataViewSchema.DetachedColumn> { SchemaColumns.Create("Features", ColumnTypes.FloatTensor(width)) };
        var arrays = new Dictionary<string, Array> { ["Features"] = x };
        if (withLabels)
        {
            columns.Add(SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(2), ["A", "B"]));
            arrays["Expression"] = Enumerable.Range(0, rows * 2).Select(i => x[i / 2 * width] * (i % 2 + 1)).ToArray();
        }
        return new InMemoryDataView(columns, rows, arrays);
    }

    private static InMemoryDataView Spots(string image) => new([
        SchemaColumns.Create(SpotColumns.PixelX, ColumnTypes.Float64),
        SchemaColumns.Create(SpotColumns.PixelY, ColumnTypes.Float64),
        SchemaColumns.Create(SpotColumns.Image, ColumnTypes.Image),
    ], 2, new Dictionary<string, Array>
    {
        [SpotColumns.PixelX] = new[] { 30.0, 90.0 },
        [SpotColumns.PixelY] = new[] { 40.0, 50.0 },
        [SpotColumns.Image] = new[] { new SlideReference(image, 0.5), new SlideReference(image, 0.5) },
    });

    private static void WriteJpeg(string path, int width, int height)
    {
        var random = new Random(9);
        var rgba = new byte[width * height * 4];
        for (int i = 0; i < width * height; i++)
        {
            rgba[4 * i] = (byte)(180 + random.Next(60));
            rgba[4 * i + 1] = (byte)(90 + random.Next(80));
            rgba[4 * i + 2] = (byte)(150 + random.Next(60));
            rgba[4 * i + 3] = 255;
        }
        using var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, rgba);
        image.Save(path);
    }
}
