using Microsoft.ML;

namespace MlNetStem.Data;

/// <summary>Reads chosen columns of a view into an <see cref="InMemoryDataView"/>.</summary>
public static class DataViewMaterializer
{
    /// <summary>
    /// Reads <paramref name="columns"/> (all when null) of <paramref name="view"/> into memory,
    /// optionally reordering rows by <paramref name="order"/> (a permutation of the row indices).
    /// <paramref name="onBatch"/> is told the row count of each batch read (for progress).
    /// </summary>
    public static InMemoryDataView Materialize(IDataView view, IReadOnlyCollection<string>? columns = null,
        Func<int, int[]>? order = null, Action<int>? onBatch = null, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(view);
        var names = (columns ?? view.Schema.Visible().Select(c => c.Name).ToArray()).ToArray();
        var parts = names.ToDictionary(n => n, _ => new List<Array>(), StringComparer.Ordinal);
        int rows = 0;
        foreach (var batch in view.ReadBatches(names, batchSize))
        {
            foreach (var n in names) parts[n].Add(batch.GetArray(n));
            rows += batch.RowCount;
            onBatch?.Invoke(batch.RowCount);
        }
        var schema = SchemaExtensions.Create(names.Select(n => view.Schema.Get(n)).Select(c => new DataViewSchema.DetachedColumn(c.Name, c.Type, c.Annotations)));
        int[]? permutation = order?.Invoke(rows);
        var arrays = new Dictionary<string, Array>(StringComparer.Ordinal);
        foreach (var n in names)
        {
            var type = view.Schema[n].Type;
            var whole = Concat(parts[n], ColumnTypes.BatchArrayType(type).GetElementType()!);
            arrays[n] = permutation is null ? whole : Permute(whole, ColumnTypes.ValuesPerRow(type), permutation);
        }
        return new InMemoryDataView(schema, rows, arrays);
    }

    /// <summary>The column arrays <paramref name="parts"/> one after the other, as one array of <paramref name="element"/>
    /// (the only part itself when there is one).</summary>
    public static Array Concat(IReadOnlyList<Array> parts, Type element)
    {
        if (parts.Count == 1) return parts[0];
        var result = Array.CreateInstance(element, parts.Sum(p => (long)p.Length));
        long offset = 0;
        foreach (var p in parts)
        {
            Array.Copy(p, 0, result, offset, p.Length);
            offset += p.Length;
        }
        return result;
    }

    private static Array Permute(Array source, int size, int[] permutation)
    {
        var result = Array.CreateInstance(source.GetType().GetElementType()!, source.Length);
        for (int to = 0; to < permutation.Length; to++)
            Array.Copy(source, (long)permutation[to] * size, result, (long)to * size, size);
        return result;
    }
}
