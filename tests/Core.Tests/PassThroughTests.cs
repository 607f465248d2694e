using MlNetStem.Data;
using Xunit;

namespace MlNetStem.Core.Tests;

/// <summary>
/// Columns of Microsoft.ML types that MlNetStem does not compute with (keys, vectors of doubles...) flow through
/// MlNetStem's batch views unchanged, so stock transforms upstream of ours keep working downstream.
/// </summary>
public class PassThroughTests
{
    [Fact]
    public void KeyAndDoubleVectorColumns_PassThroughOurTransform_Unchanged()
    {
        var ml = new MLContext(1);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("IdKey", "Id")
            .Append(ml.Transforms.Conversion.ConvertType("VectorD", "Vector", DataKind.Double))
            .Append(new CenterEstimator("Centered", "Value"));
        var data = TestData.Table(7);
        var stockOnly = pipeline.Fit(data).Transform(data);
        var keys = ml.Data.CreateEnumerable<Row>(stockOnly, reuseRowObject: false).ToArray();

        // Our transform's view batches every requested column, including the key and the double vector.
        var batches = stockOnly.ReadBatches(["IdKey", "VectorD", "Centered"], batchSize: 3).ToArray();
        Assert.Equal([3, 3, 1], batches.Select(b => b.RowCount));
        var keyValues = batches.SelectMany(b => (uint[])b.GetArray("IdKey")).ToArray();
        Assert.Equal(keys.Select(k => k.IdKey), keyValues);
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (uint)i), keyValues);   // 7 distinct ids → keys 1..7
        var vectors = batches.SelectMany(b => (VBuffer<double>[])b.GetArray("VectorD")).ToArray();
        Assert.Equal(keys.SelectMany(k => k.VectorD), vectors.SelectMany(v => v.DenseValues()));
        Assert.All(vectors, v => Assert.Equal(3, v.Length));
    }

    [Fact]
    public void CursorOverOurView_ServesPassedThroughColumns_AsCopies()
    {
        var ml = new MLContext(1);
        var source = ml.Transforms.Conversion.ConvertType("VectorD", "Vector", DataKind.Double).Fit(TestData.Table(4)).Transform(TestData.Table(4));
        var ours = new CenterEstimator("Centered", "Value").Fit(source).Transform(source);
        var expected = ml.Data.CreateEnumerable<Row2>(source, reuseRowObject: false).Select(r => r.VectorD.ToArray()).ToArray();
        var actual = ml.Data.CreateEnumerable<Row2>(ours, reuseRowObject: true).Select(r => r.VectorD.ToArray()).ToArray();
        Assert.Equal(expected, actual);
    }

    private sealed class Row
    {
        public uint IdKey { get; set; }
        public double[] VectorD { get; set; } = [];
    }

    private sealed class Row2
    {
        public double[] VectorD { get; set; } = [];
    }
}
