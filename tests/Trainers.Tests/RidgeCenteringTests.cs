using FluentAssertions;
using MlNetStem.Data;
using MlNetStem.TestKit;
using MlNetStem.Trainers.Ridge;
using Xunit;

namespace MlNetStem.Trainers.Tests;

/// <summary>Ridge keeps the training feature means apart from the bias (format 2) and still reads format-1 archives.</summary>
public class RidgeCenteringTests
{
    [Fact]
    public void NearlyConstantLargeFeature_OnnxAndInProcessAgreeTo1e5_AndFit()
    {
        // A feature that barely varies around a large value: folding its mean into the bias would make the bias and the
        // feature's term ±10⁵ each, cancelling in float32 to a few hundredths.
        var random = new Random(11);
        int rows = 60;
        var x = new float[rows * 3];
        var y = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            float a = 1000f + (float)random.NextDouble() * 1e-2f;
            x[r * 3] = a;
            x[r * 3 + 1] = (float)random.NextDouble();
            x[r * 3 + 2] = (float)random.NextDouble();
            y[r] = 4 + 100 * (a - 1000f) + x[r * 3 + 2];
        }
        var data = new InMemoryDataView([
            SchemaColumns.Create("Features", ColumnTypes.FloatTensor(3)),
            SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(1), ["G"]),
        ], rows, new Dictionary<string, Array> { ["Features"] = x, ["Expression"] = y });
        var model = new MLContext(1).SpatialExpression().Trainers.Ridge(alpha: 1e-6).Fit(data);
        var inProcess = MlpData.Column(model.Transform(data), "Score");
        using var session = Onnx.OnnxSession.FromBytes(model.ExportOnnx());
        var onnx = session.Run(new Dictionary<string, Onnx.OnnxTensor> { [RidgeTransformer.OnnxInputName] = Onnx.OnnxTensor.Create(x, rows, 3) },
            RidgeTransformer.OnnxOutputName)[RidgeTransformer.OnnxOutputName].GetData<float>();
        inProcess.Zip(onnx).Max(p => Math.Abs(p.First - p.Second)).Should().BeLessThan(1e-5f);
        inProcess.Zip(y).Max(p => Math.Abs(p.First - p.Second)).Should().BeLessThan(0.01f, "the model fits y");
    }

    [Fact]
    public void ArchiveWithoutFeatureMeans_LoadsAsAFoldedModel()
    {
        // What format 1 wrote: weights and a bias with the means folded in, no center.f32.
        var folded = new RidgeTransformer("Score", "Features", 2, [2f, 0f, 0f, 3f], [1f, -1f], ["A", "B"], alpha: 1);
        var features = MlpData.FeaturesOnly([1f, 2f, 3f, 4f], 2);
        using var folder = new TempFolder();
        var ml = new MLContext(1);
        ml.SpatialExpression().SaveModel(folded, features.Schema, folder.File("ridge.zip"));
        var loaded = ml.SpatialExpression().LoadModel(folder.File("ridge.zip"), out _);
        MlpData.Column(loaded.Transform(features), "Score").Should().Equal(3f, 5f, 7f, 11f);
    }
}
