using MlNetStem.Data;

namespace MlNetStem.Trainers.Tests;

/// <summary>Generated regression data: 3 features in [-2, 2], 2 targets G1 = sin(x1) + x2², G2 = x1·x3.</summary>
internal static class MlpData
{
    public const int FeatureCount = 3;

    public static InMemoryDataView Nonlinear(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows * FeatureCount];
        var y = new float[rows * 2];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < FeatureCount; i++) x[r * FeatureCount + i] = (float)(random.NextDouble() * 4 - 2);
            float x1 = x[r * 3], x2 = x[r * 3 + 1], x3 = x[r * 3 + 2];
            y[r * 2] = MathF.Sin(x1) + x2 * x2;
            y[r * 2 + 1] = x1 * x3;
        }
        return new InMemoryDataView([
            SchemaColumns.Create("Features", ColumnTypes.FloatTensor(FeatureCount)),
            SchemaColumns.Create("Expression", ColumnTypes.FloatTensor(2), ["G1", "G2"]),
        ], rows, new Dictionary<string, Array> { ["Features"] = x, ["Expression"] = y });
    }

    public static InMemoryDataView FeaturesOnly(float[] features, int width) =>
        new([SchemaColumns.Create("Features", ColumnTypes.FloatTensor(width))], features.Length / width,
            new Dictionary<string, Array> { ["Features"] = features });

    public static float[] Scores(IDataView data) =>
        data.ReadBatches(["Score"]).SelectMany(b => b.GetFloats("Score")).ToArray();

    public static float[] Column(IDataView data, string name) =>
        data.ReadBatches([name]).SelectMany(b => b.GetFloats(name)).ToArray();
}
