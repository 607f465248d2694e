using MlNetStem.Data;
using MlNetStem.Onnx.Writer;

namespace MlNetStem.Trainers;

/// <summary>
/// Saves a trainer into an ML.NET model as a stock <c>OnnxTransformer</c> over its ONNX export, the graph's input and
/// outputs renamed after the trainer's columns (<c>ApplyOnnxModel</c> binds by name). <c>MLContext.Model.Load</c> then
/// returns an <c>OnnxTransformer</c> that any ML.NET program can run, with or without MlNetStem.
/// </summary>
internal static class OnnxStockSaver
{
    private static readonly MLContext Ml = new();

    /// <summary>Writes the stock equivalent of a trainer into <paramref name="ctx"/>.</summary>
    /// <param name="ctx">ML.NET's save context, as given to <see cref="ICanSaveModel.Save"/>.</param>
    /// <param name="onnx">The trainer's exported ONNX model.</param>
    /// <param name="input">The feature column and the ONNX input it feeds.</param>
    /// <param name="outputs">ONNX output → column name, for every output column the trainer produces.</param>
    /// <param name="aliases">Further output columns that copy one of <paramref name="outputs"/> (column, source column).</param>
    public static void Save(ModelSaveContext ctx, byte[] onnx, (string OnnxName, DataViewSchema.DetachedColumn Column) input,
        IReadOnlyList<(string OnnxName, string Column)> outputs, IReadOnlyList<(string Column, string Source)>? aliases = null)
    {
        var renames = outputs.ToDictionary(o => o.OnnxName, o => o.Column, StringComparer.Ordinal);
        renames[input.OnnxName] = input.Column.Name;
        byte[] named = OnnxModelEditor.RenameValues(onnx, renames);
        // ApplyOnnxModel reads a file; OnnxTransformer copies its bytes into the ML.NET model while saving.
        string folder = Directory.CreateTempSubdirectory("mlnetstem-onnx-").FullName;
        try
        {
            string file = Path.Combine(folder, "model.onnx");
            File.WriteAllBytes(file, named);
            var empty = new InMemoryDataView([input.Column], 0,
                new Dictionary<string, Array> { [input.Column.Name] = Array.CreateInstance(ColumnTypes.BatchArrayType(input.Column.Type).GetElementType()!, 0) });
            IEstimator<ITransformer> estimator = Ml.Transforms.ApplyOnnxModel(outputs.Select(o => o.Column).ToArray(), [input.Column.Name], file);
            foreach (var (column, source) in aliases ?? [])
                estimator = estimator.Append(Ml.Transforms.CopyColumns(column, source));
            var stock = estimator.Fit(empty);
            try
            {
                ((ICanSaveModel)stock).Save(ctx);
            }
            finally
            {
                (stock as IDisposable)?.Dispose();
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
