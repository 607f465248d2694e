using System.IO.Compression;
using System.Text.Json.Nodes;
using MlNetStem.Data;
using MlNetStem.Onnx;
using MlNetStem.Onnx.Writer;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using MlNetStem.Transforms.Onnx;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>FeaturizeOnnx on CNN encoders: feature-map outputs and models with a fixed batch, on small generated models.</summary>
public class FeaturizeOnnxCnnTests
{
    private static readonly MLContext Ml = SeededContext.Create(1);
    private const int Side = 16, Channels = 4;

    /// <summary>
    /// pixels[batch,3,16,16] → 3×3 Conv (4 filters, padding 1) → Relu → [batch,4,16,16], optionally through a Reshape whose
    /// target shape hard-codes the batch (as some exporters write it), which no rewrite of the declared shapes can fix.
    /// </summary>
    private static string Cnn(TempFolder folder, OnnxDim batch, bool hardCodedReshape = false, string name = "cnn")
    {
        var g = new OnnxGraphBuilder(name);
        string x = g.AddInput("pixels", OnnxElementType.Float, batch, 3, Side, Side);
        var rng = new Random(3);
        var weights = Enumerable.Range(0, Channels * 3 * 3 * 3).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        string w = g.AddInitializer("w", weights, Channels, 3, 3, 3);
        string b = g.AddInitializer("b", [0.1f, -0.1f, 0.2f, 0f], Channels);
        g.AddNode("Conv", "", [x, w, b], ["conv"], OnnxAttribute.Ints("pads", 1, 1, 1, 1));
        if (hardCodedReshape)
        {
            g.AddNode("Relu", "", ["conv"], ["relu"]);
            string shape = g.AddInitializer("shape", new long[] { batch.Size!.Value, Channels, Side, Side }, 4);
            g.AddNode("Reshape", "", ["relu", shape], ["map"]);
        }
        else
        {
            g.AddNode("Relu", "", ["conv"], ["map"]);
        }
        g.AddOutput("map", OnnxElementType.Float, batch, Channels, Side, Side);
        string path = folder.File(name + ".onnx");
        g.Save(path);
        return path;
    }

    /// <summary>The model run on one patch at a time (its own fixed batch, the rest zeros), outputs averaged over H×W.</summary>
    private static float[] PooledOnePatchAtATime(string model, float[] patches, int rows)
    {
        using var session = OnnxSession.Load(model);
        long batch = Math.Max(1, session.Inputs[0].Dimensions[0]);
        int length = 3 * Side * Side, plane = Side * Side;
        var expected = new float[rows * Channels];
        for (int r = 0; r < rows; r++)
        {
            var feed = new float[batch * length];
            for (int i = 0; i < length; i++) feed[i] = (patches[r * length + i] - ImageNet.Mean[i / plane]) / ImageNet.Std[i / plane];
            var map = session.Run(new Dictionary<string, OnnxTensor> { ["pixels"] = OnnxTensor.Create(feed, batch, 3, Side, Side) }, "map")["map"]
                .GetData<float>();
            for (int c = 0; c < Channels; c++) expected[r * Channels + c] = (float)map.AsSpan(c * plane, plane).ToArray().Average(v => (double)v);
        }
        return expected;
    }

    private static class ImageNet
    {
        public static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
        public static readonly float[] Std = [0.229f, 0.224f, 0.225f];
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void FeaturizeOnnx_CnnFeatureMap_IsAveragedOverHeightAndWidthPerChannel()
    {
        using var folder = new TempFolder();
        string model = Cnn(folder, "N");
        var data = PatchViews.Patches(3, Side);
        var transformer = Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch", [new OnnxEncoderOptions(model)], BatchSize: 2))
            .Fit(data);
        Assert.Equal(Channels, transformer.OutputWidth);
        Assert.Equal([OnnxBatching.Symbolic], transformer.EncoderBatching);
        var embedding = PatchViews.Column(transformer.Transform(data), "Embedding");
        AssertClose(PooledOnePatchAtATime(model, (float[])data.GetColumnArray("Patch"), 3), embedding);
        // Both poolings average a feature map (there is no CLS token to take).
        var mean = PatchViews.Column(Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch",
            [new OnnxEncoderOptions(model, Pooling: OnnxPooling.Mean)])).Fit(data).Transform(data), "Embedding");
        Assert.Equal(embedding, mean);
        transformer.Dispose();
    }

    [Fact]
    public void FeaturizeOnnx_FixedBatchOfOne_IsMadeSymbolic_AndBatchesGiveTheOnePatchEmbeddings()
    {
        using var folder = new TempFolder();
        string model = Cnn(folder, 1);
        var data = PatchViews.Patches(5, Side);
        var transformer = Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch", [new OnnxEncoderOptions(model)], BatchSize: 4))
            .Fit(data);
        Assert.Equal([OnnxBatching.MadeSymbolic], transformer.EncoderBatching);
        var embedding = PatchViews.Column(transformer.Transform(data), "Embedding");
        AssertClose(PooledOnePatchAtATime(model, (float[])data.GetColumnArray("Patch"), 5), embedding);

        // The rewritten model and the mode are saved: the archive runs batches without the original file.
        string archive = folder.File("cnn.zip");
        Ml.SpatialExpression().SaveModel(transformer, data.Schema, archive);
        File.Delete(model);
        var loaded = (FeaturizeOnnxTransformer)Ml.SpatialExpression().LoadModel(archive, out _);
        Assert.Equal([OnnxBatching.MadeSymbolic], loaded.EncoderBatching);
        Assert.Equal(embedding, PatchViews.Column(loaded.Transform(data), "Embedding"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void FeaturizeOnnx_FixedBatchAGraphHardCodes_IsFedItsOwnBatch(int batch)
    {
        using var folder = new TempFolder();
        string model = Cnn(folder, batch, hardCodedReshape: true);
        var data = PatchViews.Patches(5, Side);   // 5 patches: with a batch of 2, the last run is padded
        var transformer = Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch", [new OnnxEncoderOptions(model)], BatchSize: 4))
            .Fit(data);
        Assert.Equal([OnnxBatching.Fixed], transformer.EncoderBatching);
        AssertClose(PooledOnePatchAtATime(model, (float[])data.GetColumnArray("Patch"), 5), PatchViews.Column(transformer.Transform(data), "Embedding"));

        string archive = folder.File("fixed.zip");
        Ml.SpatialExpression().SaveModel(transformer, data.Schema, archive);
        var loaded = (FeaturizeOnnxTransformer)Ml.SpatialExpression().LoadModel(archive, out _);
        Assert.Equal([OnnxBatching.Fixed], loaded.EncoderBatching);
    }

    [Fact]
    public void FeaturizeOnnx_OutputOfRankOne_IsRejectedNamingTheShapesItTakes()
    {
        using var folder = new TempFolder();
        var g = new OnnxGraphBuilder("scalar");
        string x = g.AddInput("pixels", OnnxElementType.Float, "N", 3, 8, 8);
        g.AddNode("ReduceMean", "", [x], ["y"], OnnxAttribute.Ints("axes", 1, 2, 3), OnnxAttribute.Int("keepdims", 0));
        g.AddOutput("y", OnnxElementType.Float, "N");
        string model = folder.File("scalar.onnx");
        g.Save(model);
        var error = Assert.Throws<ArgumentException>(() => Ml.Transforms.FeaturizeOnnx("E", "Patch", model));
        Assert.Contains("scalar.onnx", error.Message);
        Assert.Contains("[N,D], [N,T,D] or [N,C,H,W]", error.Message);
    }

    [Fact]
    public void FeaturizeOnnx_Version1Archive_WithoutABatchingField_LoadsAsSymbolicBatch()
    {
        using var folder = new TempFolder();
        string model = Cnn(folder, "N");
        var data = PatchViews.Patches(2, Side);
        var transformer = Ml.Transforms.FeaturizeOnnx("Embedding", "Patch", model).Fit(data);
        var expected = PatchViews.Column(transformer.Transform(data), "Embedding");
        string archive = folder.File("v1.zip");
        Ml.SpatialExpression().SaveModel(transformer, data.Schema, archive);

        // Rewrite the archive as version 1 wrote it: header version 1, no "Batching" in the encoder specs.
        using (var zip = ZipFile.Open(archive, ZipArchiveMode.Update))
        {
            var header = zip.Entries.Single(e => e.Name == "component.json" && Read(e).Contains("FeaturizeOnnx", StringComparison.Ordinal));
            string directory = header.FullName[..^"component.json".Length];
            var json = JsonNode.Parse(Read(header))!.AsObject();
            foreach (var key in json.Select(p => p.Key).Where(k => k.Contains("Version", StringComparison.OrdinalIgnoreCase)).ToArray()) json[key] = 1;
            Write(zip, header.FullName, json.ToJsonString());
            var options = JsonNode.Parse(Read(zip.GetEntry(directory + "options.json")!))!.AsObject();
            var encoders = options.Single(p => p.Key.Equals("Encoders", StringComparison.OrdinalIgnoreCase)).Value!.AsArray();
            int removed = 0;
            foreach (var encoder in encoders.Select(e => e!.AsObject()))
                foreach (var key in encoder.Select(p => p.Key).Where(k => k.Equals("Batching", StringComparison.OrdinalIgnoreCase)).ToArray())
                    removed += encoder.Remove(key) ? 1 : 0;
            Assert.Equal(1, removed);
            Write(zip, directory + "options.json", options.ToJsonString());
        }
        var loaded = (FeaturizeOnnxTransformer)Ml.SpatialExpression().LoadModel(archive, out _);
        Assert.Equal([OnnxBatching.Symbolic], loaded.EncoderBatching);
        Assert.Equal(expected, PatchViews.Column(loaded.Transform(data), "Embedding"));

        static string Read(ZipArchiveEntry entry)
        {
            using var reader = new StreamReader(entry.Open());
            return reader.ReadToEnd();
        }

        static void Write(ZipArchive zip, string name, string text)
        {
            zip.GetEntry(name)!.Delete();
            using var writer = new StreamWriter(zip.CreateEntry(name).Open());
            writer.Write(text);
        }
    }
}
