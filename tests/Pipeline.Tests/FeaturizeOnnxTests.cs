using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MlNetStem.Data;
using MlNetStem.Onnx;
using MlNetStem.Onnx.Models;
using MlNetStem.Onnx.Writer;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using MlNetStem.Transforms.Onnx;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public class FeaturizeOnnxTests
{
    private static readonly MLContext Ml = SeededContext.Create(1);
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    private static string TinyVit => Path.Combine(RepositoryPaths.Root, "models", "tiny-vit-s16.onnx");

    private static float[] Normalize(float[] patches)
    {
        int plane = 224 * 224;
        var x = new float[patches.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / plane % 3;
            x[i] = (patches[i] - ImageNetMean[c]) / ImageNetStd[c];
        }
        return x;
    }

    private static float[] BareRun(string model, float[] normalized, int rows, string output = TinyVitModel.ClsOutputName)
    {
        using var session = OnnxSession.Load(model);
        return session.Run(new Dictionary<string, OnnxTensor>
        {
            [TinyVitModel.InputName] = OnnxTensor.Create(normalized, rows, 3, 224, 224),
        }, output)[output].GetData<float>();
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>x[N,4] → Relu → y[N,4]: a valid model that is no image encoder.</summary>
    private static string VectorModel(TempFolder folder)
    {
        var g = new OnnxGraphBuilder("vector");
        string x = g.AddInput("x", OnnxElementType.Float, "N", 4);
        g.AddNode("Relu", "", [x], ["y"]);
        g.AddOutput("y", OnnxElementType.Float, "N", 4);
        string path = folder.File("vector.onnx");
        g.Save(path);
        return path;
    }

    /// <summary>pixels[N,3,8,8] → Relu → y[N,3,8,8]: an image input but a rank-4 output.</summary>
    private static string ImageToImageModel(TempFolder folder)
    {
        var g = new OnnxGraphBuilder("image");
        string x = g.AddInput("pixels", OnnxElementType.Float, "N", 3, 8, 8);
        g.AddNode("Relu", "", [x], ["y"]);
        g.AddOutput("y", OnnxElementType.Float, "N", 3, 8, 8);
        string path = folder.File("image-to-image.onnx");
        g.Save(path);
        return path;
    }

    [Fact]
    public void FeaturizeOnnx_PassesTheWorkout()
    {
        var bad = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Patch", ColumnTypes.FloatTensor(5))]), 1,
            new Dictionary<string, Array> { ["Patch"] = new float[5] });
        var estimator = Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch", [new OnnxEncoderOptions(TinyVit)], BatchSize: 2));
        EstimatorWorkout.Run(estimator, PatchViews.Patches(3, 224), bad, "Patch");
        // The same with the 8 dihedral views ([8, D] output).
        EstimatorWorkout.Run(Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch", [new OnnxEncoderOptions(TinyVit)],
            BatchSize: 4, DihedralViews: true)), PatchViews.Patches(2, 32), bad, "Patch");
    }

    [Fact]
    public void FeaturizeOnnx_WorksOnPatchesCutByLoadPatches()
    {
        using var folder = new TempFolder();
        string image = ImagingTests.CoordinateImage(folder);
        var spots = PatchAndFeatureTests.Spots(image, 1.0, (50, 50), (100, 80));
        var pipeline = Ml.Transforms.LoadPatches("Patch", "Image", sizeMicrons: 64, sizePixels: 224)
            .Append(Ml.Transforms.FeaturizeOnnx("Embedding", "Patch", TinyVit));
        var output = pipeline.Fit(spots).Transform(spots);
        var embedding = PatchViews.Column(output, "Embedding");
        Assert.Equal(2 * 64, embedding.Length);
        Assert.All(embedding, v => Assert.True(float.IsFinite(v)));
        Assert.NotEqual(embedding[..64], embedding[64..]);
    }

    [Fact]
    public void FeaturizeOnnx_EqualsABareSessionOnTheNormalizedPatches()
    {
        var data = PatchViews.Patches(3, 224);
        var transformer = Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch", [new OnnxEncoderOptions(TinyVit)], BatchSize: 2)).Fit(data);
        var output = transformer.Transform(data);
        var expected = BareRun(TinyVit, Normalize((float[])data.GetColumnArray("Patch")), 3);
        AssertClose(expected, PatchViews.Column(output, "Embedding"));
        var column = output.Schema["Embedding"];
        Assert.Equal(ColumnTypes.FloatTensor(64), column.Type);
        Assert.Equal("tiny-vit-s16:0", column.SlotNames![0]);
        Assert.Equal("tiny-vit-s16:63", column.SlotNames![63]);
        transformer.Dispose();
    }

    [Fact]
    public void FeaturizeOnnx_TwoModels_AreConcatenatedInOrder()
    {
        using var folder = new TempFolder();
        string other = folder.File("other-vit.onnx");
        TinyVitModel.Save(other, seed: 7);
        var data = PatchViews.Patches(2, 224);
        var output = Ml.Transforms.FeaturizeOnnx("Embedding", "Patch", TinyVit, other).Fit(data).Transform(data);
        var column = output.Schema["Embedding"];
        Assert.Equal(ColumnTypes.FloatTensor(128), column.Type);
        Assert.Equal("tiny-vit-s16:0", column.SlotNames![0]);
        Assert.Equal("other-vit:0", column.SlotNames![64]);
        var normalized = Normalize((float[])data.GetColumnArray("Patch"));
        var first = BareRun(TinyVit, normalized, 2);
        var second = BareRun(other, normalized, 2);
        var expected = new[] { first[..64], second[..64], first[64..], second[64..] }.SelectMany(a => a).ToArray();
        AssertClose(expected, PatchViews.Column(output, "Embedding"));
    }

    [Fact]
    public void FeaturizeOnnx_SameModelTwice_GetsDistinctSlotNames()
    {
        var data = PatchViews.Patches(1, 224);
        var transformer = Ml.Transforms.FeaturizeOnnx("Embedding", "Patch", TinyVit, TinyVit).Fit(data);
        var column = transformer.GetOutputSchema(data.Schema)["Embedding"];
        Assert.Equal(128, column.SlotNames!.Distinct().Count());
        Assert.Equal("tiny-vit-s16#2:0", column.SlotNames![64]);

        // Saved once, loaded into both slots.
        using var folder = new TempFolder();
        Ml.SpatialExpression().SaveModel(transformer, data.Schema, folder.File("m.zip"));
        using (var zip = System.IO.Compression.ZipFile.OpenRead(folder.File("m.zip")))
            Assert.Single(zip.Entries, e => e.Name.EndsWith(".onnx", StringComparison.Ordinal));
        var embedding = PatchViews.Column(Ml.SpatialExpression().LoadModel(folder.File("m.zip"), out _).Transform(data), "Embedding");
        Assert.Equal(embedding[..64], embedding[64..]);
    }

    [Fact]
    public void FeaturizeOnnx_MeanPooling_AveragesPatchTokensAndDiffersFromCls()
    {
        var data = PatchViews.Patches(2, 224);
        var mean = PatchViews.Column(Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch",
            [new OnnxEncoderOptions(TinyVit, Pooling: OnnxPooling.Mean)])).Fit(data).Transform(data), "Embedding");
        var cls = PatchViews.Column(Ml.Transforms.FeaturizeOnnx("Embedding", "Patch", TinyVit).Fit(data).Transform(data), "Embedding");
        Assert.True(mean.Zip(cls).Max(p => Math.Abs(p.First - p.Second)) > 1e-2f, "mean pooling should differ from the CLS token");

        var tokens = BareRun(TinyVit, Normalize((float[])data.GetColumnArray("Patch")), 2, TinyVitModel.TokensOutputName);
        var expected = new float[2 * 64];
        for (int r = 0; r < 2; r++)
        for (int j = 0; j < 64; j++)
        {
            double sum = 0;
            for (int t = 1; t < 197; t++) sum += tokens[(r * 197 + t) * 64 + j];
            expected[r * 64 + j] = (float)(sum / 196);
        }
        AssertClose(expected, mean);
    }

    [Fact]
    public void FeaturizeOnnx_ClsPoolingOfTheTokensOutput_EqualsTheClsOutput()
    {
        var data = PatchViews.Patches(2, 224);
        var fromTokens = PatchViews.Column(Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch",
            [new OnnxEncoderOptions(TinyVit, OutputName: TinyVitModel.TokensOutputName)])).Fit(data).Transform(data), "Embedding");
        var cls = PatchViews.Column(Ml.Transforms.FeaturizeOnnx("Embedding", "Patch", TinyVit).Fit(data).Transform(data), "Embedding");
        AssertClose(cls, fromTokens);
    }

    [Fact]
    public void FeaturizeOnnx_Patch112_IsResizedBilinearlyTo224()
    {
        var data = PatchViews.Patches(2, 112);
        var output = PatchViews.Column(Ml.Transforms.FeaturizeOnnx("Embedding", "Patch", TinyVit).Fit(data).Transform(data), "Embedding");

        // Reference: 2× upsampling with half-pixel centres, edges clamped (torch bilinear, align_corners=False).
        var source = (float[])data.GetColumnArray("Patch");
        var resized = new float[2 * 3 * 224 * 224];
        static (int Low, int High, double W) Tap(int o)
        {
            double s = Math.Max((o + 0.5) / 2 - 0.5, 0);
            int l = (int)Math.Floor(s);
            return (l, Math.Min(l + 1, 111), s - l);
        }
        for (int plane = 0; plane < 6; plane++)
        for (int y = 0; y < 224; y++)
        for (int x = 0; x < 224; x++)
        {
            var (y0, y1, wy) = Tap(y);
            var (x0, x1, wx) = Tap(x);
            float P(int yy, int xx) => source[plane * 112 * 112 + yy * 112 + xx];
            double v = (1 - wy) * ((1 - wx) * P(y0, x0) + wx * P(y0, x1)) + wy * ((1 - wx) * P(y1, x0) + wx * P(y1, x1));
            resized[plane * 224 * 224 + y * 224 + x] = (float)v;
        }
        AssertClose(BareRun(TinyVit, Normalize(resized), 2), output, 1e-4f);
    }

    [Fact]
    public void FeaturizeOnnx_BgrAndCustomNormalization_AreApplied()
    {
        var data = PatchViews.Patches(1, 224);
        float[] mean = [0.1f, 0.2f, 0.3f], std = [0.5f, 0.6f, 0.7f];
        var output = PatchViews.Column(Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch",
            [new OnnxEncoderOptions(TinyVit, Mean: mean, Std: std, Channels: ChannelOrder.Bgr)])).Fit(data).Transform(data), "Embedding");
        var patch = (float[])data.GetColumnArray("Patch");
        int plane = 224 * 224;
        var x = new float[patch.Length];
        for (int c = 0; c < 3; c++)
        for (int i = 0; i < plane; i++)
            x[c * plane + i] = (patch[(2 - c) * plane + i] - mean[2 - c]) / std[2 - c];
        AssertClose(BareRun(TinyVit, x, 1), output);
    }

    [Fact]
    public void FeaturizeOnnx_MissingModel_IsFileNotFoundNamingIt()
    {
        var error = Assert.Throws<FileNotFoundException>(() => Ml.Transforms.FeaturizeOnnx("E", "Patch", "/nonexistent/uni.onnx"));
        Assert.Contains("/nonexistent/uni.onnx", error.Message);
    }

    [Fact]
    public void FeaturizeOnnx_ModelWithoutAnImageInput_IsRejectedNamingModelAndInput()
    {
        using var folder = new TempFolder();
        string model = VectorModel(folder);
        var error = Assert.Throws<ArgumentException>(() => Ml.Transforms.FeaturizeOnnx("E", "Patch", model));
        Assert.Contains("vector.onnx", error.Message);
        Assert.Contains("rank-4 float tensor [N,3,H,W]", error.Message);
        Assert.Contains("x: Float[N,4]", error.Message);
    }

    [Fact]
    public void FeaturizeOnnx_FileThatIsNoOnnxModel_IsRejectedNamingIt()
    {
        using var folder = new TempFolder();
        string model = folder.File("garbage.onnx");
        File.WriteAllText(model, "not a protobuf");
        var error = Assert.Throws<ArgumentException>(() => Ml.Transforms.FeaturizeOnnx("E", "Patch", model));
        Assert.Contains("garbage.onnx' could not be loaded", error.Message);
    }

    [Fact]
    public void FeaturizeOnnx_ModelWithARank4Output_IsTakenAsAFeatureMapAveragedPerChannel()
    {
        using var folder = new TempFolder();
        string model = ImageToImageModel(folder);
        var data = PatchViews.Patches(2, 8);
        var transformer = Ml.Transforms.FeaturizeOnnx("E", "Patch", model).Fit(data);
        Assert.Equal(3, transformer.OutputWidth);
        var embedding = PatchViews.Column(transformer.Transform(data), "E");
        // Relu of the ImageNet-normalized patch, averaged over its 8×8 pixels per channel.
        var patches = (float[])data.GetColumnArray("Patch");
        var expected = new float[2 * 3];
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                expected[r * 3 + c] = (float)Enumerable.Range(0, 64)
                    .Average(i => Math.Max(0, (patches[(r * 3 + c) * 64 + i] - ImageNetMean[c]) / ImageNetStd[c]));
        AssertClose(expected, embedding);
    }

    [Fact]
    public void FeaturizeOnnx_BadEncoderChoices_AreRejectedBeforeRunning()
    {
        ArgumentException Fails(OnnxEncoderOptions encoder) => Assert.ThrowsAny<ArgumentException>(() =>
            Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("E", "Patch", [encoder])));
        Assert.Contains("mean pooling needs a [N,T,D]", Fails(new OnnxEncoderOptions(TinyVit, OutputName: "cls_token", Pooling: OnnxPooling.Mean)).Message);
        Assert.Contains("no output 'logits'", Fails(new OnnxEncoderOptions(TinyVit, OutputName: "logits")).Message);
        Assert.Contains("no input 'image'", Fails(new OnnxEncoderOptions(TinyVit, InputName: "image")).Message);
        Assert.Contains("fixed height of 224", Fails(new OnnxEncoderOptions(TinyVit, InputSize: 256)).Message);
        Assert.Contains("std must be three positive", Fails(new OnnxEncoderOptions(TinyVit, Std: [1, 0, 1])).Message);
        Assert.Throws<ArgumentException>(() => Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("E", "Patch", [new(TinyVit)], BatchSize: 0)));
        Assert.Throws<ArgumentException>(() => Ml.Transforms.FeaturizeOnnx("E", "Patch"));
    }

    [Theory]
    [InlineData(1, 224, 224)]
    [InlineData(3, 224, 0)]
    public void FeaturizeOnnx_WrongPatchShape_IsASchemaErrorNamingTheColumn(int channels, int height, int width)
    {
        // Microsoft.ML shapes carry no vector sizes: the patch shape is checked on the schema, at Fit, before any data is read.
        var type = width == 0 ? ColumnTypes.FloatTensor(channels, height) : ColumnTypes.FloatTensor(channels, height, width);
        var data = new ThrowingOnReadDataView(SchemaExtensions.Create([SchemaColumns.Create("Patch", type)]));
        var estimator = Ml.Transforms.FeaturizeOnnx("E", "Patch", TinyVit);
        var error = Assert.Throws<SchemaMismatchException>(() => estimator.Fit(data));
        Assert.Equal("Patch", error.Column);
        Assert.Contains("3×H×W", error.Message);
        // A fitted featurizer rejects the same wrong shape at Transform.
        var fitted = estimator.Fit(PatchViews.Patches(1, 224));
        Assert.Equal("Patch", Assert.Throws<SchemaMismatchException>(() => fitted.Transform(data)).Column);
        fitted.Dispose();
    }

    [Fact]
    public void FeaturizeOnnx_SavedModel_RunsWithoutTheOriginalFile()
    {
        using var folder = new TempFolder();
        string copy = folder.File("copy.onnx");
        File.Copy(TinyVit, copy);
        var data = PatchViews.Patches(1, 224);
        var transformer = Ml.Transforms.FeaturizeOnnx("Embedding", "Patch", copy).Fit(data);
        var expected = PatchViews.Column(transformer.Transform(data), "Embedding");
        string archive = folder.File("model.zip");
        Ml.SpatialExpression().SaveModel(transformer, data.Schema, archive);
        File.Delete(copy);
        var loaded = Ml.SpatialExpression().LoadModel(archive, out _);
        Assert.Equal(expected, PatchViews.Column(loaded.Transform(data), "Embedding"));
    }

    [Fact]
    public void FeaturizeOnnx_DihedralViews_EmbedEachViewOfThePatch_AndSurviveSaveAndLoad()
    {
        var data = PatchViews.Patches(2, 32);
        var plain = PatchViews.Column(Ml.Transforms.FeaturizeOnnx("Embedding", "Patch", TinyVit).Fit(data).Transform(data), "Embedding");
        var transformer = Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Views", "Patch", [new OnnxEncoderOptions(TinyVit)],
            DihedralViews: true)).Fit(data);
        var output = transformer.Transform(data);
        Assert.Equal(ColumnTypes.FloatTensor(8, 64), output.Schema["Views"].Type);
        var views = PatchViews.Column(output, "Views");

        // View v of spot r is the embedding of the patch turned by DihedralTransform view v; view 0 is the patch itself.
        var patches = (float[])data.GetColumnArray("Patch");
        int length = 3 * 32 * 32;
        var turned = new float[patches.Length * 8];
        for (int r = 0; r < 2; r++)
            for (int v = 0; v < 8; v++)
                MlNetStem.Imaging.DihedralTransform.Apply(patches.AsSpan(r * length, length), 3, 32, v, turned.AsSpan((r * 8 + v) * length, length));
        var each = new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Patch", ColumnTypes.FloatTensor(3, 32, 32))]), 16,
            new Dictionary<string, Array> { ["Patch"] = turned });
        var expected = PatchViews.Column(Ml.Transforms.FeaturizeOnnx("Embedding", "Patch", TinyVit).Fit(each).Transform(each), "Embedding");
        Assert.Equal(expected.Length, views.Length);
        for (int i = 0; i < views.Length; i++) Assert.Equal(expected[i], views[i], 4);
        for (int r = 0; r < 2; r++)
            for (int j = 0; j < 64; j++) Assert.Equal(plain[r * 64 + j], views[r * 8 * 64 + j], 4);
        Assert.NotEqual(views[..64], views[64..128]);   // a random patch is not symmetric: views differ

        using var folder = new TempFolder();
        Ml.SpatialExpression().SaveModel(transformer, data.Schema, folder.File("views.zip"));
        var loaded = Ml.SpatialExpression().LoadModel(folder.File("views.zip"), out _);
        Assert.Equal(views, PatchViews.Column(loaded.Transform(data), "Views"));
    }

    [Fact]
    public void FeaturizeOnnx_Disposed_RefusesToRun()
    {
        var data = PatchViews.Patches(1, 224);
        var transformer = Ml.Transforms.FeaturizeOnnx("Embedding", "Patch", TinyVit).Fit(data);
        Assert.Single(PatchViews.Column(transformer.Transform(data), "Embedding").Chunk(64));
        transformer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => PatchViews.Column(transformer.Transform(data), "Embedding"));
    }

    private static byte[] CacheFile(float[] values)
    {
        var bytes = new byte[8 + values.Length * 4 + 8];
        "MSEM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), values.Length);
        MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(bytes.AsSpan(8));
        SHA256.HashData(bytes.AsSpan(8, values.Length * 4))[..8].CopyTo(bytes.AsSpan(8 + values.Length * 4));
        return bytes;
    }

    [Fact]
    public void FeaturizeOnnx_Cache_HitsReturnStoredValuesAndCorruptEntriesAreRewritten()
    {
        using var folder = new TempFolder();
        string cache = folder.File("cache");
        var data = PatchViews.Patches(1, 224);
        FeaturizeOnnxTransformer Fresh() => Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("Embedding", "Patch",
            [new OnnxEncoderOptions(TinyVit)], CacheDirectory: cache)).Fit(data);

        var computed = PatchViews.Column(Fresh().Transform(data), "Embedding");
        string entry = Assert.Single(Directory.GetFiles(cache, "*.f32", SearchOption.AllDirectories));
        Assert.Equal(CacheFile(computed), File.ReadAllBytes(entry));
        Assert.Empty(Directory.GetFiles(cache, "*.tmp", SearchOption.AllDirectories));

        // A hit: identical values, read from the file, not recomputed.
        Assert.Equal(computed, PatchViews.Column(Fresh().Transform(data), "Embedding"));
        var planted = Enumerable.Range(0, 64).Select(i => (float)i).ToArray();
        File.WriteAllBytes(entry, CacheFile(planted));
        Assert.Equal(planted, PatchViews.Column(Fresh().Transform(data), "Embedding"));

        // Short, then bit-flipped entries: ignored, recomputed and rewritten.
        File.WriteAllBytes(entry, CacheFile(computed)[..100]);
        Assert.Equal(computed, PatchViews.Column(Fresh().Transform(data), "Embedding"));
        Assert.Equal(CacheFile(computed), File.ReadAllBytes(entry));
        var flipped = CacheFile(computed);
        flipped[20] ^= 0x40;
        File.WriteAllBytes(entry, flipped);
        Assert.Equal(computed, PatchViews.Column(Fresh().Transform(data), "Embedding"));
        Assert.Equal(CacheFile(computed), File.ReadAllBytes(entry));
    }

    [Fact]
    public void FeaturizeOnnx_Cache_KeyDependsOnPreprocessingAndPixels()
    {
        using var folder = new TempFolder();
        string cache = folder.File("cache");
        var data = PatchViews.Patches(2, 224);
        PatchViews.Column(Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("E", "Patch", [new(TinyVit)], CacheDirectory: cache)).Fit(data).Transform(data), "E");
        PatchViews.Column(Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("E", "Patch", [new(TinyVit, Pooling: OnnxPooling.Mean)], CacheDirectory: cache)).Fit(data).Transform(data), "E");
        var other = PatchViews.Patches(2, 224, seed: 2);
        PatchViews.Column(Ml.Transforms.FeaturizeOnnx(new FeaturizeOnnxOptions("E", "Patch", [new(TinyVit)], CacheDirectory: cache)).Fit(other).Transform(other), "E");
        Assert.Equal(6, Directory.GetFiles(cache, "*.f32", SearchOption.AllDirectories).Length);
    }

    private static (int Code, string Err) Cli(params string[] args)
    {
        var (code, _, err) = CliTests.Run(args);
        return (code, err);
    }

    [Theory]
    [InlineData("demo --encoder models/tiny-vit-s16.onnx", "add --featurizer onnx")]
    [InlineData("demo --model models/tiny-vit-s16.onnx", "unknown option '--model'")]
    [InlineData("demo --featurizer onnx", "needs an ONNX image encoder")]
    [InlineData("train --input x --featurizer onnx --encoder /nonexistent/uni.onnx", "'/nonexistent/uni.onnx' does not exist")]
    [InlineData("demo --featurizer clip", "available: morphology, onnx")]
    public void Cli_OnnxFeaturizerMisuse_IsAUsageError(string arguments, string message)
    {
        var (code, err) = Cli(arguments.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }
}
