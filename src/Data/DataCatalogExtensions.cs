using MlNetStem.Catalogs;

namespace MlNetStem.Data;

/// <summary>Format loaders on <c>ctx.Data</c>.</summary>
public static class DataCatalogExtensions
{
    /// <summary>Loads a HER2ST-style section folder (see <see cref="Her2stLoader"/>).</summary>
    public static Her2stSection LoadHer2st(this DataOperationsCatalog catalog, string folder, Her2stLoadOptions? options = null) =>
        Her2stLoader.Load(folder, options);
}
