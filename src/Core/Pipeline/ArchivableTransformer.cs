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

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException($"{GetType().Name} is saved with MlNetStem's model archive (ModelArchive.Save), " +
            "not yet with MLContext.Model.Save.");
}
