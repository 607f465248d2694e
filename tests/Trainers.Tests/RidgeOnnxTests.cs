using MlNetStem.Data;
using MlNetStem.Onnx;
using MlNetStem.TestKit;
using MlNetStem.Trainers.Ridge;
using Xunit;

namespace MlNetStem.Trainers.Tests;

public class RidgeOnnxTests
{
    [Fact]
    public void Ridge_OnnxExport_MatchesInProcessPrediction()
    {
        var random = new Random(5);
        int rows = 30, d = 6, k = 3;
        var x = Enumerable.Range(0, rows * d).Select(_ => (float)random.NextDouble()).ToArray();
        var y = Enumerable.Range(0, rows * k).Select(i => x[i / k * d + i % k] * 2 + (float)random.NextDouble() * 0.1f).ToArray();
        var data = new InMemoryDataView([
            SchemaColumns.Create("Features", ColumnTypes.FloatTensor(d)),
            SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(k), ["A", "B", "C"]),
        ], rows, new Dictionary<string, Array> { ["Features"] = x, ["Expression"] = y });
        var model = new MLContext(1).SpatialExpression().Trainers.Ridge().Fit(data);
        var expected = model.Transform(data).ReadBatches(["Score"]).Single().GetFloats("Score");
        using var session = OnnxSession.FromBytes(model.ExportOnnx());
        var actual = session.Run(new Dictionary<string, OnnxTensor> { [RidgeTransformer.OnnxInputName] = OnnxTensor.Create(x, rows, d) },
            RidgeTransformer.OnnxOutputName)[RidgeTransformer.OnnxOutputName].GetData<float>();
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) <= 1e-4f);
    }

    [Fact]
    public void Ridge_PassesTheWorkout()
    {
        var bad = new InMemoryDataView([SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(2)), SchemaColumns.Create("Features", ColumnTypes.Text)],
            1, new Dictionary<string, Array> { ["Expression"] = new float[2], ["Features"] = new[] { "x" } });
        EstimatorWorkout.Run(new MLContext(1).SpatialExpression().Trainers.Ridge(alpha: 0.1), MlpData.Nonlinear(30, 1), bad, "Features",
            transformOnly: MlpData.FeaturesOnly([0.1f, 0.2f, 0.3f, 1f, 1.5f, -1f], MlpData.FeatureCount));
    }
}
