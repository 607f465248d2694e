using MlNetStem.Onnx.Models;

namespace MlNetStem.Onnx.Tests;

public sealed class TinyVitModelTests
{
    private const string RegenerateVariable = "MLNETSTEM_REGENERATE_MODELS";

    private static string CommittedPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "src", "Onnx", "Onnx.csproj")))
                return Path.Combine(dir.FullName, "models", "tiny-vit-s16.onnx");
        throw new DirectoryNotFoundException("Repository root not found above " + AppContext.BaseDirectory);
    }

    private static float[] Pixels(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new float[n * 3 * 224 * 224];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 4 - 2);
        return a;
    }

    /// <summary>
    /// The committed model is exactly what the generator writes for its documented seed, and its SHA-256 is the one
    /// models/README.md documents. With MLNETSTEM_REGENERATE_MODELS=1 the file is rewritten first; the documented hash
    /// still has to match, so a generator change cannot pass without the README (and the file) being updated with it.
    /// </summary>
    [Fact]
    public void CommittedFile_IsByteIdenticalToGeneratorOutput_AndHasTheDocumentedHash()
    {
        string path = CommittedPath();
        byte[] generated = TinyVitModel.Build(TinyVitModel.CommittedSeed);
        if (Environment.GetEnvironmentVariable(RegenerateVariable) == "1")
            TinyVitModel.Save(path, TinyVitModel.CommittedSeed);
        Assert.True(File.Exists(path), $"{path} is missing; regenerate it with {RegenerateVariable}=1.");
        byte[] committed = File.ReadAllBytes(path);
        Assert.Equal(generated, committed);
        Assert.True(generated.Length < 2 * 1024 * 1024, $"model is {generated.Length} bytes");

        string readme = File.ReadAllText(Path.Combine(Path.GetDirectoryName(path)!, "README.md"));
        var documented = System.Text.RegularExpressions.Regex.Match(readme, @"SHA-256 \| `([0-9a-f]{64})`");
        Assert.True(documented.Success, "models/README.md documents no SHA-256 for tiny-vit-s16.onnx");
        Assert.Equal(documented.Groups[1].Value, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(committed)));
    }

    [Fact]
    public void Build_DifferentSeed_GivesDifferentWeights() =>
        Assert.NotEqual(TinyVitModel.Build(1), TinyVitModel.Build(2));

    [Fact]
    public void CommittedModel_BatchOfTwo_GivesFiniteOutputsOfTheRightShapes()
    {
        using var session = OnnxSession.Load(CommittedPath());
        var input = session.Inputs.Single();
        Assert.Equal(TinyVitModel.InputName, input.Name);
        Assert.Equal(new long[] { -1, 3, 224, 224 }, input.Dimensions);

        var pixels = Pixels(2, 1);
        var result = session.Run(new Dictionary<string, OnnxTensor>
        {
            [TinyVitModel.InputName] = OnnxTensor.Create(pixels, 2, 3, 224, 224),
        });
        var cls = result[TinyVitModel.ClsOutputName];
        var tokens = result[TinyVitModel.TokensOutputName];
        Assert.Equal(new long[] { 2, 64 }, cls.Shape);
        Assert.Equal(new long[] { 2, 197, 64 }, tokens.Shape);
        Assert.All(tokens.GetData<float>(), v => Assert.True(float.IsFinite(v)));

        var t = tokens.GetData<float>();
        var c = cls.GetData<float>();
        for (int b = 0; b < 2; b++)
        {
            // The CLS output is token 0 of the tokens output.
            Assert.Equal(t.AsSpan(b * 197 * 64, 64).ToArray(), c.AsSpan(b * 64, 64).ToArray());
            // The final LayerNorm (unit scale, zero shift) leaves every token with mean 0, variance 1.
            for (int tok = 0; tok < 197; tok += 49)
            {
                var row = t.AsSpan((b * 197 + tok) * 64, 64).ToArray();
                double mean = row.Average(v => (double)v);
                double variance = row.Average(v => (v - mean) * (v - mean));
                Assert.InRange(mean, -1e-4, 1e-4);
                Assert.InRange(variance, 0.99, 1.01);
            }
        }
        // Different images give different embeddings.
        Assert.NotEqual(c.AsSpan(0, 64).ToArray(), c.AsSpan(64, 64).ToArray());
    }

    [Fact]
    public void CommittedModel_BatchedRun_EqualsOneImageAtATime()
    {
        using var session = OnnxSession.Load(CommittedPath());
        var pixels = Pixels(2, 9);
        float[] Cls(float[] data, int n) => session.Run(
            new Dictionary<string, OnnxTensor> { [TinyVitModel.InputName] = OnnxTensor.Create(data, n, 3, 224, 224) },
            TinyVitModel.ClsOutputName).Single().Value.GetData<float>();
        float[] both = Cls(pixels, 2);
        int per = 3 * 224 * 224;
        Reference.AssertClose(both.AsSpan(0, 64).ToArray(), Cls(pixels.AsSpan(0, per).ToArray(), 1), 1e-4);
        Reference.AssertClose(both.AsSpan(64, 64).ToArray(), Cls(pixels.AsSpan(per, per).ToArray(), 1), 1e-4);
    }

    [Fact]
    public void Build_InvalidConfiguration_Throws()
    {
        Assert.Throws<ArgumentException>(() => TinyVitModel.Build(1, imageSize: 224, patchSize: 15));
        Assert.Throws<ArgumentException>(() => TinyVitModel.Build(1, dim: 30, heads: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => TinyVitModel.Build(1, depth: -1));
    }
}
