using MlNetStem.Data;

namespace MlNetStem.Catalogs;

/// <summary>Loading, shuffling, caching and converting data views. Format loaders are extension methods.</summary>
public sealed class DataOperationsCatalog(StemContext context) : CatalogBase(context)
{
    /// <summary>A view over plain C# objects: one column per public property (see <see cref="ClassSchema"/>).</summary>
    public IDataView LoadFromEnumerable<T>(IEnumerable<T> rows, DataViewSchema? schemaHint = null) where T : class =>
        ClassSchema.For<T>().ToDataView(rows.ToList(), schemaHint);

    /// <summary>Reads a view's rows back as C# objects (properties matched to columns by name).</summary>
    public IEnumerable<T> CreateEnumerable<T>(IDataView data) where T : class, new() =>
        ClassSchema.For<T>().FromDataView<T>(data);

    /// <summary>Reads <paramref name="columns"/> (all by default) into memory, so later passes do not recompute them.</summary>
    public InMemoryDataView Cache(IDataView data, params string[] columns) =>
        DataViewMaterializer.Materialize(data, columns.Length == 0 ? null : columns);

    /// <summary>
    /// Rows in a seeded random order. Reads the requested columns into memory (shuffle tabular
    /// data, before patches are loaded).
    /// </summary>
    public IDataView Shuffle(IDataView data, int? seed = null, params string[] columns)
    {
        int s = seed ?? Context.NextSeed();
        return DataViewMaterializer.Materialize(data, columns.Length == 0 ? null : columns, n =>
        {
            var order = Enumerable.Range(0, n).ToArray();
            new Random(s).Shuffle(order);
            return order;
        });
    }

    /// <summary>The first <paramref name="count"/> rows (reads them into memory).</summary>
    public IDataView TakeRows(IDataView data, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var all = DataViewMaterializer.Materialize(data);
        int n = Math.Min(count, all.Rows);
        var arrays = all.Schema.Columns.ToDictionary(c => c.Name,
            c => InMemoryDataView.SliceRows(all.GetColumnArray(c.Name), c.Type.Size, 0, n));
        return new InMemoryDataView(all.Schema, n, arrays);
    }
}
