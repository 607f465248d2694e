namespace MlNetStem.AnnData;

/// <summary>A free-text column (encoding-type "string-array").</summary>
public sealed class StringColumn : AnnColumn
{
    /// <summary>Creates the column (values not copied; null is written as an empty string).</summary>
    public StringColumn(string name, string?[] values) : base(name)
    {
        ArgumentNullException.ThrowIfNull(values);
        Values = values;
    }

    /// <summary>The values.</summary>
    public string?[] Values { get; }

    /// <inheritdoc/>
    public override int Count => Values.Length;

    /// <inheritdoc/>
    public override string? FormatValue(int row) => Values[row];
}
