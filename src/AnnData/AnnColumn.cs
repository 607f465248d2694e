namespace MlNetStem.AnnData;

/// <summary>One column of an <see cref="AnnDataFrame"/> (obs or var).</summary>
public abstract class AnnColumn
{
    private protected AnnColumn(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>Column name.</summary>
    public string Name { get; }

    /// <summary>Number of values.</summary>
    public abstract int Count { get; }

    /// <summary>Value at <paramref name="row"/> as text, null when missing (for display and CSV).</summary>
    public abstract string? FormatValue(int row);
}
