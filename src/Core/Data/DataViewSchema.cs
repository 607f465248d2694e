namespace MlNetStem.Data;

/// <summary>The immutable, ordered set of columns of a data view.</summary>
public sealed class DataViewSchema
{
    private readonly SchemaColumn[] _columns;
    private readonly Dictionary<string, int> _byName;

    /// <summary>Creates a schema; later columns with a repeated name hide earlier ones (as in ML.NET).</summary>
    public DataViewSchema(IEnumerable<SchemaColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var list = new List<SchemaColumn>();
        _byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in columns)
        {
            if (string.IsNullOrWhiteSpace(c.Name)) throw new ArgumentException("Column names must not be empty.");
            if (c.SlotNames is not null && c.Type.IsKnownSize && c.SlotNames.Count != c.Type.Size)
                throw new ArgumentException(
                    $"Column '{c.Name}' has {c.SlotNames.Count} slot names for {c.Type.Size} values.");
            if (_byName.TryGetValue(c.Name, out int existing)) list[existing] = c;
            else
            {
                _byName[c.Name] = list.Count;
                list.Add(c);
            }
        }
        _columns = list.ToArray();
    }

    /// <summary>The columns in order.</summary>
    public IReadOnlyList<SchemaColumn> Columns => _columns;

    /// <summary>Number of columns.</summary>
    public int Count => _columns.Length;

    /// <summary>The column called <paramref name="name"/>, or null.</summary>
    public SchemaColumn? Find(string name) => _byName.TryGetValue(name, out int i) ? _columns[i] : null;

    /// <summary>The column called <paramref name="name"/>.</summary>
    /// <exception cref="SchemaMismatchException">No such column.</exception>
    public SchemaColumn this[string name] => Find(name) ??
        throw new SchemaMismatchException(name, "an existing column", null) ;

    /// <summary>
    /// Checks that <paramref name="name"/> exists with a type satisfying <paramref name="expected"/>.
    /// </summary>
    /// <exception cref="SchemaMismatchException">Missing or of another type.</exception>
    public SchemaColumn Require(string name, ColumnType expected, string component)
    {
        var column = Find(name);
        if (column is null || !expected.IsSatisfiedBy(column.Type))
            throw new SchemaMismatchException(name, expected.ToString(), column?.Type.ToString(), component);
        return column;
    }

    /// <summary>Checks that <paramref name="name"/> exists with one of the given kinds.</summary>
    /// <exception cref="SchemaMismatchException">Missing or of another kind.</exception>
    public SchemaColumn RequireKind(string name, string component, params ColumnKind[] kinds)
    {
        var column = Find(name);
        if (column is null || !kinds.Contains(column.Type.Kind))
            throw new SchemaMismatchException(name, string.Join(" or ", kinds), column?.Type.ToString(), component);
        return column;
    }

    /// <summary>A new schema with <paramref name="columns"/> added or replacing same-named ones.</summary>
    public DataViewSchema With(params SchemaColumn[] columns) => new(_columns.Concat(columns));

    /// <summary>Readable listing for messages: <c>Barcode: Text, Counts: Tensor&lt;Float32&gt;[15000]</c>.</summary>
    public override string ToString() => string.Join(", ", _columns.Select(c => $"{c.Name}: {c.Type}"));
}
