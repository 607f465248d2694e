namespace MlNetStem.AnnData;

/// <summary>
/// An AnnData object in memory: X (cells × genes), layers, obs/var frames, obsm arrays
/// (e.g. "spatial", n × 2) and the free-form uns tree.
/// </summary>
/// <remarks>
/// uns values are: string, long, double, bool, string[], <see cref="NumericArray"/>, <see cref="UInt8Array"/> (uint8 arrays, e.g. images), or a nested
/// <c>Dictionary&lt;string, object&gt;</c>. When writing, float/int/arrays of them and double[,] are accepted too.
/// </remarks>
public sealed class AnnDataFile
{
    /// <summary>Creates an AnnData from its parts; checks that X matches obs and var.</summary>
    /// <exception cref="AnnDataFormatException">X's shape differs from obs × var.</exception>
    public AnnDataFile(AnnMatrix? x, AnnDataFrame obs, AnnDataFrame var)
    {
        ArgumentNullException.ThrowIfNull(obs);
        ArgumentNullException.ThrowIfNull(var);
        X = x;
        Obs = obs;
        Var = var;
        if (x is not null) CheckMatrix("X", x);
    }

    /// <summary>The main matrix; null when the file has none.</summary>
    public AnnMatrix? X { get; }

    /// <summary>Per-observation (cell/spot) annotations; its index is obs_names.</summary>
    public AnnDataFrame Obs { get; }

    /// <summary>Per-variable (gene) annotations; its index is var_names.</summary>
    public AnnDataFrame Var { get; }

    /// <summary>Number of observations.</summary>
    public int ObsCount => Obs.RowCount;

    /// <summary>Number of variables.</summary>
    public int VarCount => Var.RowCount;

    /// <summary>Extra matrices shaped like X (e.g. "counts").</summary>
    public Dictionary<string, AnnMatrix> Layers { get; } = new(StringComparer.Ordinal);

    /// <summary>Per-observation arrays with ObsCount rows (e.g. "spatial": ObsCount × 2 pixel coordinates).</summary>
    public Dictionary<string, double[,]> Obsm { get; } = new(StringComparer.Ordinal);

    /// <summary>Unstructured metadata (see remarks for the value types).</summary>
    public Dictionary<string, object> Uns { get; } = new(StringComparer.Ordinal);

    /// <summary>What the reader skipped or tolerated (unsupported entries, duplicated names).</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Checks every part's shape against obs and var and that var names are unique.</summary>
    /// <exception cref="AnnDataFormatException">Names the first inconsistency found.</exception>
    public void Validate()
    {
        if (X is not null) CheckMatrix("X", X);
        foreach ((string name, AnnMatrix layer) in Layers) CheckMatrix($"layers/{name}", layer);
        foreach ((string name, double[,] array) in Obsm)
            if (array.GetLength(0) != ObsCount)
                throw new AnnDataFormatException($"obsm '{name}' has {array.GetLength(0)} rows; obs has {ObsCount}.", elementPath: "/obsm/" + name);
        IReadOnlyList<string> duplicates = Var.DuplicateIndexValues();
        if (duplicates.Count > 0)
            throw new AnnDataFormatException(
                $"var names must be unique; duplicated: {string.Join(", ", duplicates.Take(10))}{(duplicates.Count > 10 ? $" (and {duplicates.Count - 10} more)" : "")}.",
                elementPath: "/var/_index");
    }

    private void CheckMatrix(string name, AnnMatrix m)
    {
        if (m.Rows != ObsCount || m.Columns != VarCount)
            throw new AnnDataFormatException(
                $"{name} is {m.Rows} x {m.Columns} but obs has {ObsCount} rows and var has {VarCount}: shapes must match.", elementPath: "/" + name);
    }
}
