using System.Globalization;

namespace MlNetStem.AnnData;

/// <summary>A numeric column, widened to double; NaN marks missing values.</summary>
public sealed class NumericColumn : AnnColumn
{
    /// <summary>Creates the column (values not copied).</summary>
    /// <param name="name">Column name.</param>
    /// <param name="values">Values; NaN marks a missing value.</param>
    /// <param name="isInteger">Written as int64 when true (as pandas' nullable Int64 when some value is NaN), float64 otherwise.</param>
    public NumericColumn(string name, double[] values, bool isInteger = false) : base(name)
    {
        ArgumentNullException.ThrowIfNull(values);
        Values = values;
        IsInteger = isInteger;
    }

    /// <summary>The values.</summary>
    public double[] Values { get; }

    /// <summary>True when the column holds integers.</summary>
    public bool IsInteger { get; }

    /// <inheritdoc/>
    public override int Count => Values.Length;

    /// <inheritdoc/>
    public override string? FormatValue(int row) =>
        double.IsNaN(Values[row]) ? null : Values[row].ToString(CultureInfo.InvariantCulture);
}
