namespace MlNetStem.AnnData;

/// <summary>A boolean column (stored as h5py's enum bool).</summary>
public sealed class BooleanColumn : AnnColumn
{
    /// <summary>Creates the column (values not copied).</summary>
    public BooleanColumn(string name, bool[] values) : base(name)
    {
        ArgumentNullException.ThrowIfNull(values);
        Values = values;
    }

    /// <summary>The values.</summary>
    public bool[] Values { get; }

    /// <inheritdoc/>
    public override int Count => Values.Length;

    /// <inheritdoc/>
    public override string? FormatValue(int row) => Values[row] ? "True" : "False";
}
