namespace MlNetStem.AnnData;

/// <summary>obs or var: a string index (cell barcodes or gene names) and named, typed columns in order.</summary>
public sealed class AnnDataFrame
{
    private readonly List<AnnColumn> _columns = [];

    /// <summary>Creates a frame with the given index and no columns.</summary>
    public AnnDataFrame(IEnumerable<string> index)
    {
        ArgumentNullException.ThrowIfNull(index);
        Index = index.ToArray();
    }

    /// <summary>Row labels (obs_names / var_names).</summary>
    public IReadOnlyList<string> Index { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => Index.Count;

    /// <summary>Columns in column-order.</summary>
    public IReadOnlyList<AnnColumn> Columns => _columns;

    /// <summary>The column called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such column (message lists the available ones).</exception>
    public AnnColumn this[string name] =>
        _columns.Find(c => c.Name == name)
        ?? throw new KeyNotFoundException($"No column '{name}'; columns are: {string.Join(", ", _columns.Select(c => c.Name))}.");

    /// <summary>True when a column called <paramref name="name"/> exists.</summary>
    public bool Contains(string name) => _columns.Exists(c => c.Name == name);

    /// <summary>Appends (or replaces, keeping its position) a column.</summary>
    /// <exception cref="ArgumentException">Its length differs from the index, or it is named "_index".</exception>
    public AnnDataFrame Add(AnnColumn column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (column.Count != RowCount)
            throw new ArgumentException($"Column '{column.Name}' has {column.Count} values; the index has {RowCount}.", nameof(column));
        if (column.Name == "_index")
            throw new ArgumentException("'_index' is reserved for the index in .h5ad files.", nameof(column));
        int at = _columns.FindIndex(c => c.Name == column.Name);
        if (at >= 0) _columns[at] = column;
        else _columns.Add(column);
        return this;
    }

    /// <summary>Index labels that occur more than once, each once.</summary>
    public IReadOnlyList<string> DuplicateIndexValues() =>
        Index.GroupBy(s => s, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
}
