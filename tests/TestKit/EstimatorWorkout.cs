using Microsoft.ML;
using MlNetStem.Data;
using MlNetStem.Pipeline;
using Xunit;

namespace MlNetStem.TestKit;

/// <summary>
/// The ML.NET-style contract test every estimator passes: a bad schema is rejected with a
/// <see cref="SchemaMismatchException"/> naming the column before any data is read (by the shape check
/// when the problem is visible in a shape, always by Fit); the predicted output shape is satisfied by the
/// fitted transformer's output schema; save → load → transform gives identical output; the loaded model
/// rejects bad input exactly as the fitted one does; ML.NET's ml.Model.Save persists trainers and refuses the rest clearly.
/// </summary>
public static class EstimatorWorkout
{
    /// <param name="estimator">The estimator under test.</param>
    /// <param name="good">Data it fits on.</param>
    /// <param name="bad">Data with a schema it must reject (naming <paramref name="expectedBadColumn"/>).</param>
    /// <param name="expectedBadColumn">The column the rejection names.</param>
    /// <param name="transformOnly">Data valid for the fitted transformer but not for fitting (e.g. features without labels): Fit
    /// must reject it before reading, the fitted and the loaded transformer must transform it alike.</param>
    public static void Run<T>(IEstimator<T> estimator, IDataView good, IDataView bad, string expectedBadColumn, IDataView? transformOnly = null)
        where T : class, ITransformer
    {
        // 1. Bad schema: rejected before data is read, naming the column.
        var guarded = new ThrowingOnReadDataView(bad.Schema);
        if (Record.Exception(() => estimator.GetOutputSchema(SchemaShapes.From(bad.Schema))) is { } shapeError)
        {
            var mismatch = Assert.IsType<SchemaMismatchException>(shapeError);
            Assert.Equal(expectedBadColumn, mismatch.Column);
        }
        var error = Assert.Throws<SchemaMismatchException>(() => estimator.Fit(guarded));
        Assert.Equal(expectedBadColumn, error.Column);
        Assert.Contains(expectedBadColumn, error.Message);

        // 2. The predicted shape is satisfied by the fitted transformer's output schema.
        var predicted = estimator.GetOutputSchema(SchemaShapes.From(good.Schema));
        var transformer = estimator.Fit(good);
        var actual = transformer.GetOutputSchema(good.Schema);
        foreach (var column in predicted)
        {
            var found = actual.Find(column.Name);
            Assert.True(found is not null, $"predicted column '{column.Name}' is missing from the output schema");
            var shape = SchemaShapes.From(actual).Find(column.Name)!.Value;
            Assert.Equal(column.ItemType, shape.ItemType);
            Assert.Equal(column.Kind == SchemaShape.Column.VectorKind.Scalar, shape.Kind == SchemaShape.Column.VectorKind.Scalar);
            if (column.HasSlotNames()) Assert.NotNull(found!.Value.SlotNames);
        }
        var transformed = transformer.Transform(good);
        Assert.Equal(actual.Describe(), transformed.Schema.Describe());

        // 3. Save → load → transform identical.
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "model.zip");
        var ml = new MLContext(1);
        ml.SpatialExpression().SaveModel(transformer, good.Schema, path);
        var loaded = ml.SpatialExpression().LoadModel(path, out var savedSchema);
        Assert.NotNull(savedSchema);
        Assert.Equal(good.Schema.Describe(), savedSchema!.Describe());
        var reloaded = loaded.Transform(good);
        Assert.Equal(transformed.Schema.Describe(), reloaded.Schema.Describe());
        DataViewAssert.Equal(transformed, reloaded);

        // 4. The loaded model treats bad input as the fitted one does (a clear schema error, or the same pass-through).
        var fittedError = Record.Exception(() => transformer.Transform(guarded).Schema);
        var loadedError = Record.Exception(() => loaded.Transform(guarded).Schema);
        Assert.Equal(fittedError?.GetType(), loadedError?.GetType());
        if (fittedError is not null) Assert.IsType<SchemaMismatchException>(fittedError);

        // 4b. Data valid for transform but not for fit.
        if (transformOnly is not null)
        {
            Assert.Throws<SchemaMismatchException>(() => estimator.Fit(new ThrowingOnReadDataView(transformOnly.Schema)));
            DataViewAssert.Equal(transformer.Transform(transformOnly), loaded.Transform(transformOnly));
        }

        // 5. ML.NET's own ml.Model.Save: trainers persist as stock OnnxTransformers whose output columns match in size;
        //    the other components refuse with a message that names the route that works (values: see the trainers' tests).
        string mlnetPath = Path.Combine(folder.Path, "mlnet.zip");
        if (transformer is IOnnxExportableTransformer)
        {
            ml.Model.Save(transformer, good.Schema, mlnetPath);
            var stock = new MLContext(2).Model.Load(mlnetPath, out _).Transform(good);
            foreach (var column in transformed.Schema.Visible().Where(c => good.Schema.Find(c.Name) is null))
                Assert.Equal(column.Type.Size, stock.Schema.Get(column.Name).Type.Size);
        }
        else
        {
            var refused = Assert.Throws<NotSupportedException>(() => ml.Model.Save(transformer, good.Schema, mlnetPath));
            Assert.Contains("SaveModel", refused.Message);
        }
    }
}
