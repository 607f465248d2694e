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
        IReadOnlyList<(string OnnxName, string Column)> outputs, IReadOnlyList<(string Column, string Source)>? aliases = null) =>
        Save(ctx, onnx, [input], outputs, aliases);

    /// <summary>As <see cref="Save(ModelSaveContext, byte[], ValueTuple{string, DataViewSchema.DetachedColumn}, IReadOnlyList{ValueTuple{string, string}}, IReadOnlyList{ValueTuple{string, string}}?)"/>
    /// for a model with several inputs (HisDiff: the embedding and its context sets).</summary>
    public static void Save(ModelSaveContext ctx, byte[] onnx, IReadOnlyList<(string OnnxName, DataViewSchema.DetachedColumn Column)> inputs,
        IReadOnlyList<(string OnnxName, string Column)> outputs, IReadOnlyList<(string Column, string Source)>? aliases = null)
    {
        var renames = outputs.ToDictionary(o => o.OnnxName, o => o.Column, StringComparer.Ordinal);
        foreach (var input in inputs) renames[input.OnnxName] = input.Column.Name;
        byte[] named = OnnxModelEditor.RenameValues(onnx, renames);
        // ApplyOnnxModel reads a file; OnnxTransformer copies its bytes into the ML.NET model while saving.
        string folder = Directory.CreateTempSubdirectory("mlnetstem-onnx-").FullName;
        try
        {
            string file = Path.Combine(folder, "model.onnx");
            File.WriteAllBytes(file, named);
            var empty = new InMemoryDataView(inputs.Select(i => i.Column).ToArray(), 0, inputs.ToDictionary(i => i.Column.Name,
                i => Array.CreateInstance(ColumnTypes.BatchArrayType(i.Column.Type).GetElementType()!, 0), StringComparer.Ordinal));
            IEstimator<ITransformer> estimator = Ml.Transforms.ApplyOnnxModel(outputs.Select(o => o.Column).ToArray(),
                inputs.Select(i => i.Column.Name).ToArray(), file);
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
