using MlNetStem.Data;
using MlNetStem.Pipeline;
using Xunit;

namespace MlNetStem.TestKit;

/// <summary>
/// The shared contract test every estimator passes: a bad schema is rejected with a
/// <see cref="SchemaMismatchException"/> naming the column; the fitted output schema matches
/// the predicted one; save → load → transform gives identical output.
/// </summary>
public static class EstimatorWorkout
{
    public static void Run<T>(IEstimator<T> estimator, IDataView good, IDataView bad, string expectedBadColumn) where T : ITransformer
    {
        // 1. Bad schema: rejected before data is read, naming the column.
        var guarded = new ThrowingOnReadDataView(bad.Schema);
        var error = Assert.Throws<SchemaMismatchException>(() => estimator.GetOutputSchema(SchemaShape.From(bad.Schema)));
        Assert.Equal(expectedBadColumn, error.Column);
        Assert.Contains(expectedBadColumn, error.Message);
        Assert.Throws<SchemaMismatchException>(() => estimator.Fit(guarded));

        // 2. Predicted schema is satisfied by the fitted transformer's output schema.
        var predicted = estimator.GetOutputSchema(SchemaShape.From(good.Schema));
        var transformer = estimator.Fit(good);
        var actual = transformer.GetOutputSchema(good.Schema);
        Assert.True(predicted.IsSatisfiedBy(actual, out var problem), problem);
        var transformed = transformer.Transform(good);
        Assert.Equal(actual.ToString(), transformed.Schema.ToString());

        // 3. Save → load → transform identical.
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "model.zip");
        var context = new StemContext(1);
        context.Model.Save(transformer, good.Schema, path);
        var loaded = context.Model.Load(path, out var savedSchema);
        Assert.NotNull(savedSchema);
        Assert.Equal(good.Schema.ToString(), savedSchema!.ToString());
        var reloaded = loaded.Transform(good);
        Assert.Equal(transformed.Schema.ToString(), reloaded.Schema.ToString());
        DataViewAssert.Equal(transformed, reloaded);
    }
}
