using MlNetStem.Data;

namespace MlNetStem.Pipeline.Tests;

/// <summary>Small in-memory inputs and readers shared by the FeaturizeOnnx test classes.</summary>
internal static class PatchViews
{
    /// <summary><paramref name="rows"/> random RGB patches of side <paramref name="size"/> in a "Patch" column.</summary>
    public static InMemoryDataView Patches(int rows, int size, int seed = 1)
    {
        var rng = new Random(seed);
        var values = new float[rows * 3 * size * size];
        for (int i = 0; i < values.Length; i++) values[i] = (float)rng.NextDouble();
        return new InMemoryDataView(SchemaExtensions.Create([SchemaColumns.Create("Patch", ColumnTypes.FloatTensor(3, size, size))]),
            rows, new Dictionary<string, Array> { ["Patch"] = values });
    }

    /// <summary>All values of float column <paramref name="name"/>, row after row.</summary>
    public static float[] Column(IDataView view, string name) =>
        view.ReadBatches([name]).SelectMany(b => b.GetFloats(name)).ToArray();
}
