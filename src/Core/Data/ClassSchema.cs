using System.Reflection;

namespace MlNetStem.Data;

/// <summary>
/// Maps a plain C# class to columns: float, double, int, long, bool, string,
/// <see cref="SlideReference"/> and float[] properties (tensor columns).
/// </summary>
public sealed class ClassSchema
{
    private readonly (PropertyInfo Property, string Column)[] _members;
    private readonly Type _type;

    private ClassSchema(Type type)
    {
        _type = type;
        _members = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => KindOf(p.PropertyType) is not null)
            .Select(p => (p, p.GetCustomAttribute<ColumnNameAttribute>()?.Name ?? p.Name))
            .ToArray();
        if (_members.Length == 0)
            throw new ArgumentException($"{type.Name} has no public properties of a supported type (float, double, int, long, bool, string, SlideReference, float[]).");
    }

    /// <summary>The mapping for <typeparamref name="T"/>.</summary>
    public static ClassSchema For<T>() => new(typeof(T));

    /// <summary>
    /// Builds an in-memory view from objects. Float arrays take their shape from
    /// <see cref="VectorSizeAttribute"/>, else from <paramref name="schemaHint"/>, else from the first row;
    /// slot names are copied from same-named, same-typed columns of <paramref name="schemaHint"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A float array has another length than its column, or a value is null.</exception>
    public InMemoryDataView ToDataView<T>(IReadOnlyList<T> rows, DataViewSchema? schemaHint = null)
    {
        var columns = new List<SchemaColumn>();
        var arrays = new Dictionary<string, Array>(StringComparer.Ordinal);
        foreach (var (property, name) in _members)
        {
            var kind = KindOf(property.PropertyType)!.Value;
            var hint = schemaHint?.Find(name);
            ColumnType type = kind switch
            {
                ColumnKind.FloatTensor => property.GetCustomAttribute<VectorSizeAttribute>() is { } size
                    ? ColumnType.FloatTensor(size.Dimensions)
                    : hint is { Type.Kind: ColumnKind.FloatTensor }
                        ? hint.Type
                        : ColumnType.FloatTensor(rows.Count > 0 && property.GetValue(rows[0]) is float[] { Length: > 0 } first ? first.Length : 1),
                ColumnKind.Float32 => ColumnType.Float32,
                ColumnKind.Float64 => ColumnType.Float64,
                ColumnKind.Int32 => ColumnType.Int32,
                ColumnKind.Int64 => ColumnType.Int64,
                ColumnKind.Boolean => ColumnType.Boolean,
                ColumnKind.Text => ColumnType.Text,
                _ => ColumnType.Image,
            };
            var slotNames = hint is not null && hint.Type.Equals(type) ? hint.SlotNames : null;
            columns.Add(new SchemaColumn(name, type, slotNames));
            arrays[name] = Fill(rows, property, name, type);
        }
        return new InMemoryDataView(new DataViewSchema(columns), rows.Count, arrays);
    }

    /// <summary>Reads rows of <paramref name="data"/> into new objects; properties without a column are left unset.</summary>
    public IEnumerable<T> FromDataView<T>(IDataView data) where T : new()
    {
        var present = _members.Where(m => data.Schema.Find(m.Column) is not null).ToArray();
        foreach (var (property, column) in present)
        {
            var actual = data.Schema[column].Type;
            if (KindOf(property.PropertyType) != actual.Kind)
                throw new SchemaMismatchException(column, $"a column matching {_type.Name}.{property.Name} ({property.PropertyType.Name})", actual.ToString());
        }
        foreach (var batch in data.ReadBatches(present.Select(p => p.Column).ToArray()))
        {
            for (int r = 0; r < batch.RowCount; r++)
            {
                var item = new T();
                foreach (var (property, column) in present)
                {
                    var type = data.Schema[column].Type;
                    object? value = type.Kind == ColumnKind.FloatTensor
                        ? batch.GetTensorRow(column, r).ToArray()
                        : batch.GetArray(column).GetValue(r);
                    property.SetValue(item, value);
                }
                yield return item;
            }
        }
    }

    private static Array Fill<T>(IReadOnlyList<T> rows, PropertyInfo property, string name, ColumnType type)
    {
        if (type.Kind != ColumnKind.FloatTensor)
        {
            var array = Array.CreateInstance(type.BatchArrayType.GetElementType()!, rows.Count);
            for (int r = 0; r < rows.Count; r++)
            {
                object? value = property.GetValue(rows[r]);
                if (value is null && type.Kind is ColumnKind.Text or ColumnKind.Image)
                    throw new ArgumentException($"Row {r}: property {property.Name} (column '{name}') is null.");
                array.SetValue(value, r);
            }
            return array;
        }
        int size = type.Size;
        var values = new float[rows.Count * size];
        for (int r = 0; r < rows.Count; r++)
        {
            var row = property.GetValue(rows[r]) as float[] ??
                throw new ArgumentException($"Row {r}: property {property.Name} (column '{name}') is null.");
            if (row.Length != size)
                throw new ArgumentException($"Row {r}: column '{name}' needs {size} values, got {row.Length}.");
            row.CopyTo(values, r * size);
        }
        return values;
    }

    private static ColumnKind? KindOf(Type t) =>
        t == typeof(float) ? ColumnKind.Float32 :
        t == typeof(double) ? ColumnKind.Float64 :
        t == typeof(int) ? ColumnKind.Int32 :
        t == typeof(long) ? ColumnKind.Int64 :
        t == typeof(bool) ? ColumnKind.Boolean :
        t == typeof(string) ? ColumnKind.Text :
        t == typeof(SlideReference) ? ColumnKind.Image :
        t == typeof(float[]) ? ColumnKind.FloatTensor : null;
}
