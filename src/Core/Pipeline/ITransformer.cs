using MlNetStem.Data;
using MlNetStem.Model;

namespace MlNetStem.Pipeline;

/// <summary>A fitted component: maps a data view to a new, lazily computed data view.</summary>
public interface ITransformer
{
    /// <summary>The schema <see cref="Transform"/> would produce; validates the input schema without reading data.</summary>
    /// <exception cref="SchemaMismatchException">A needed column is missing or of the wrong type.</exception>
    DataViewSchema GetOutputSchema(DataViewSchema inputSchema);

    /// <summary>Returns the transformed view; nothing is computed until it is read.</summary>
    /// <exception cref="SchemaMismatchException">A needed column is missing or of the wrong type.</exception>
    IDataView Transform(IDataView input);

    /// <summary>Writes this component (and its children) into a model archive.</summary>
    void Save(ModelSaveContext context);
}
