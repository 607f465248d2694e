namespace MlNetStem.Data;

/// <summary>
/// What an estimator promises about a schema before it is fitted: column names and types,
/// where a tensor's size may still be unknown (<see cref="ColumnType.FloatVectorOfUnknownSize"/>).
/// Lets a whole chain be checked before any data is read.
/// </summary>
public sealed class SchemaShape
{
    private readonly Dictionary<string, SchemaShapeColumn> _byName;
    private readonly List<SchemaShapeColumn> _columns;

    /// <summary>Creates a shape from columns; later duplicates replace earlier ones.</summary>
    public SchemaShape(IEnumerable<SchemaShapeColumn> columns)
    {
        _columns = new List<SchemaShapeColumn>();
        _byName = new Dictionary<string, SchemaShapeColumn>(StringComparer.Ordinal);
        foreach (var c in columns)
        {
            int i = _columns.FindIndex(x => x.Name == c.Name);
            if (i >= 0) _columns[i] = c; else _columns.Add(c);
            _byName[c.Name] = c;
        }
    }

    /// <summary>The shape of an existing schema (all sizes known).</summary>
    public static SchemaShape From(DataViewSchema schema) =>
        new(schema.Columns.Select(c => new SchemaShapeColumn(c.Name, c.Type, c.SlotNames is not null)));

    /// <summary>Columns in order.</summary>
    public IReadOnlyList<SchemaShapeColumn> Columns => _columns;

    /// <summary>The column called <paramref name="name"/>, or null.</summary>
    public SchemaShapeColumn? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Checks that <paramref name="name"/> exists and satisfies <paramref name="expected"/>.</summary>
    /// <exception cref="SchemaMismatchException">Missing or of another type.</exception>
    public SchemaShapeColumn Require(string name, ColumnType expected, string component)
    {
        var column = Find(name);
        if (column is null || !(expected.IsSatisfiedBy(column.Type) || (column.Type.Kind == expected.Kind && !column.Type.IsKnownSize)))
            throw new SchemaMismatchException(name, expected.ToString(), column?.Type.ToString(), component);
        return column;
    }

    /// <summary>Checks that <paramref name="name"/> exists with one of the given kinds.</summary>
    /// <exception cref="SchemaMismatchException">Missing or of another kind.</exception>
    public SchemaShapeColumn RequireKind(string name, string component, params ColumnKind[] kinds)
    {
        var column = Find(name);
        if (column is null || !kinds.Contains(column.Type.Kind))
            throw new SchemaMismatchException(name, string.Join(" or ", kinds), column?.Type.ToString(), component);
        return column;
    }

    /// <summary>A new shape with columns added or replaced.</summary>
    public SchemaShape With(params SchemaShapeColumn[] columns) => new(_columns.Concat(columns));

    /// <summary>
    /// True when <paramref name="schema"/> has every column of this shape with a compatible
    /// type (unknown sizes match any size); <paramref name="problem"/> says what differs.
    /// </summary>
    public bool IsSatisfiedBy(DataViewSchema schema, out string? problem)
    {
        foreach (var c in _columns)
        {
            var actual = schema.Find(c.Name);
            if (actual is null) { problem = $"column '{c.Name}' is missing"; return false; }
            if (!c.Type.IsSatisfiedBy(actual.Type))
            {
                problem = $"column '{c.Name}' is {actual.Type}, predicted {c.Type}";
                return false;
            }
            if (c.HasSlotNames && actual.SlotNames is null)
            {
                problem = $"column '{c.Name}' was predicted to carry slot names";
                return false;
            }
        }
        problem = null;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", _columns.Select(c => $"{c.Name}: {c.Type}"));
}
