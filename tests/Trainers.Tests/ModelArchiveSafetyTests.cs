using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using MlNetStem.Model;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Trainers.Tests;

/// <summary>
/// Hostile or corrupt model archives: entries that declare (or inflate to) more than they may hold are refused before
/// being inflated, non-finite parameters are refused at load, impossible counts give a clear message.
/// </summary>
public class ModelArchiveSafetyTests
{
    private static readonly MLContext Ml = new(1);

    private static string SavedRidge(TempFolder folder)
    {
        var data = MlpData.Nonlinear(40, 3);
        var model = new EstimatorChain<ITransformer>().Append(Ml.SpatialExpression().Trainers.Ridge(alpha: 0.1)).Fit(data);   // a chain: chain.json
        string path = folder.File("ridge.zip");
        Ml.SpatialExpression().SaveModel(model, data.Schema, path);
        return path;
    }

    private static string SavedMlp(TempFolder folder)
    {
        var data = MlpData.Nonlinear(40, 3);
        var model = Ml.SpatialExpression().Trainers.Mlp(hiddenSizes: [8], epochs: 2).Fit(data);
        string path = folder.File("mlp.zip");
        Ml.SpatialExpression().SaveModel(model, data.Schema, path);
        return path;
    }

    /// <summary>Replaces the content of the entry whose name ends with <paramref name="suffix"/>.</summary>
    private static string Replace(string path, string suffix, Func<byte[], byte[]> change)
    {
        string name;
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Single(e => e.FullName.StartsWith("model/", StringComparison.Ordinal) && e.FullName.EndsWith(suffix, StringComparison.Ordinal));
            name = entry.FullName;
            byte[] old;
            using (var s = entry.Open()) { using var m = new MemoryStream(); s.CopyTo(m); old = m.ToArray(); }
            entry.Delete();
            using var w = zip.CreateEntry(name).Open();
            w.Write(change(old));
        }
        return name;
    }

    /// <summary>Sets the uncompressed size an entry declares (local header and central directory) without changing its data.</summary>
    private static void Declare(string path, string name, uint size)
    {
        var bytes = File.ReadAllBytes(path);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        int patched = 0;
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            uint signature = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i));
            int nameOffset = signature == 0x04034b50 ? 30 : signature == 0x02014b50 ? 46 : -1;
            if (nameOffset < 0) continue;
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + nameOffset - (signature == 0x04034b50 ? 4 : 18)));
            if (nameLength != nameBytes.Length || !bytes.AsSpan(i + nameOffset, nameLength).SequenceEqual(nameBytes)) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + (signature == 0x04034b50 ? 22 : 24)), size);
            patched++;
        }
        Assert.Equal(2, patched);
        File.WriteAllBytes(path, bytes);
    }

    private static ModelFormatException LoadFails(string path) =>
        Assert.Throws<ModelFormatException>(() => Ml.SpatialExpression().LoadModel(path, out _));

    [Fact]
    public void WeightsEntry_DeclaringGigabytes_IsRefusedBeforeInflating()
    {
        using var folder = new TempFolder();
        string path = SavedRidge(folder);
        string name = Replace(path, "weights.f32", old => old);
        Declare(path, name, 3u << 30);
        long before = GC.GetTotalAllocatedBytes();
        var error = LoadFails(path);
        Assert.Contains("weights.f32", error.Message);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 64 << 20, "the entry was inflated");
    }

    [Fact]
    public void Entry_InflatingToMoreThanItDeclares_IsReadOnlyToItsDeclaredSize()
    {
        using var folder = new TempFolder();
        string path = SavedMlp(folder);
        int length = 0;
        string name = Replace(path, "network.state", old => { length = old.Length; return [.. old, .. new byte[64 << 20]]; });
        Declare(path, name, (uint)length);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        using var model = (IDisposable)Ml.SpatialExpression().LoadModel(path, out _);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 16 << 20, "more than the declared size was inflated");
    }

    [Fact]
    public void StateDict_LargerThanTheArchitectureNeeds_IsRefused()
    {
        using var folder = new TempFolder();
        string path = SavedMlp(folder);
        Replace(path, "network.state", old => [.. old, .. new byte[8 << 20]]);
        var error = LoadFails(path);
        Assert.Contains("network.state", error.Message);
        Assert.Contains("declares", error.Message);
    }

    [Fact]
    public void JsonEntry_OverTheJsonLimit_IsRefused()
    {
        using var folder = new TempFolder();
        string path = SavedRidge(folder);
        string name = Replace(path, "ridge.json", old => old);
        Declare(path, name, 100u << 20);
        var error = LoadFails(path);
        Assert.Contains("ridge.json", error.Message);
        Assert.Contains("67,108,864", error.Message);
    }

    private static byte[] WithNaN(byte[] floats, int index = 0)
    {
        var copy = floats.ToArray();
        BinaryPrimitives.WriteSingleLittleEndian(copy.AsSpan(index * 4), float.NaN);
        return copy;
    }

    [Theory]
    [InlineData("weights.f32")]
    [InlineData("bias.f32")]
    [InlineData("center.f32")]
    public void Ridge_NonFiniteParameters_AreRefused(string entry)
    {
        using var folder = new TempFolder();
        string path = SavedRidge(folder);
        Replace(path, entry, old => WithNaN(old, 1));
        var error = LoadFails(path);
        Assert.Contains("RidgeRegression", error.Message);
        Assert.Contains($"'{entry}'", error.Message);
        Assert.Contains("non-finite", error.Message);
    }

    [Theory]
    [InlineData("feature_mean.f32")]
    [InlineData("label_std.f32")]
    [InlineData("network.state")]
    public void Mlp_NonFiniteParameters_AreRefused(string entry)
    {
        using var folder = new TempFolder();
        string path = SavedMlp(folder);
        // The state dict ends with the last tensor's float data: its last value becomes NaN.
        Replace(path, entry, old => entry.EndsWith(".state", StringComparison.Ordinal) ? WithNaN(old, old.Length / 4 - 1) : WithNaN(old));
        var error = LoadFails(path);
        Assert.Contains("MlpRegression", error.Message);
        Assert.Contains($"'{entry}'", error.Message);
        Assert.Contains("non-finite", error.Message);
    }

    [Theory]
    [InlineData("chain.json", "{\"Count\": -3}", "lists -3 components")]
    [InlineData("chain.json", "{\"Count\": 2000000000}", "lists 2000000000 components")]
    [InlineData("ridge.json", null, "impossible model")]
    public void ImpossibleCounts_GiveAClearMessage(string entry, string? json, string expected)
    {
        using var folder = new TempFolder();
        string path = SavedRidge(folder);
        Replace(path, entry, old => json is not null
            ? Encoding.UTF8.GetBytes(json)
            : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(old).Replace("\"FeatureCount\": 3", "\"FeatureCount\": -7", StringComparison.Ordinal)));
        var error = LoadFails(path);
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain("Parameter", error.Message);
        Assert.DoesNotContain("out of the range", error.Message);
    }

    [Fact]
    public void Save_RemovesStaleTemporariesOfItsTarget()
    {
        using var folder = new TempFolder();
        string stale = folder.File($".ridge.zip.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(stale, new byte[100]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-3));
        string path = SavedRidge(folder);
        Assert.False(File.Exists(stale));
        Assert.Single(Directory.GetFiles(folder.Path));
        Assert.NotNull(Ml.SpatialExpression().LoadModel(path, out _));
    }
}
