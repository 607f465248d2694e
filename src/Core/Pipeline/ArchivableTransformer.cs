using Microsoft.ML;
using MlNetStem.Model;

namespace MlNetStem.Pipeline;

/// <summary>
/// Base of MlNetStem's fitted components: a Microsoft.ML <see cref="ITransformer"/> that computes its
/// output a batch of rows at a time and writes itself into an MlNetStem model archive
/// (<see cref="ModelArchive"/>).
/// </summary>
public abstract class ArchivableTransformer : ITransformer
{
    /// <summary>
    /// False: outputs are computed a batch of rows at a time (patches, featurizers, samplers),
    /// so there is no per-row mapper.
    /// </summary>
    public bool IsRowToRowMapper => false;

    /// <inheritdoc />
    /// <exception cref="MlNetStem.Data.SchemaMismatchException">A needed column is missing or of the wrong type.</exception>
    public abstract DataViewSchema GetOutputSchema(DataViewSchema inputSchema);

    /// <inheritdoc />
    /// <exception cref="MlNetStem.Data.SchemaMismatchException">A needed column is missing or of the wrong type.</exception>
    public abstract IDataView Transform(IDataView input);

    /// <summary>Writes this component (and its children) into a model archive.</summary>
    public abstract void Save(ComponentSaveContext context);

    /// <summary>Not supported: MlNetStem components compute batches, not single rows.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException($"{GetType().Name} computes a batch of rows at a time and has no row-to-row mapper; use Transform.");

    void ICanSaveModel.Save(ModelSaveContext ctx) => SaveAsStock(ctx);

    /// <summary>
    /// Writes this component into an ML.NET model (<c>MLContext.Model.Save</c>) as the stock ML.NET transformer that computes
    /// the same output, which <c>MLContext.Model.Load</c> then returns. ML.NET keeps its model-saving API internal, so a
    /// component persists only through stock equivalents: the trainers save as an <c>OnnxTransformer</c> over their ONNX
    /// export; the others throw.
    /// </summary>
    /// <exception cref="NotSupportedException">The component has no stock equivalent.</exception>
    protected virtual void SaveAsStock(ModelSaveContext ctx) =>
        throw new NotSupportedException($"{GetType().Name} cannot be saved with MLContext.Model.Save (ML.NET's model-saving API " +
            "is internal; only MlNetStem's trainers save there, as ONNX). Save the whole pipeline with ml.SpatialExpression().SaveModel, " +
            "or save the trainer alone (features → expression) with ml.Model.Save.");
}
