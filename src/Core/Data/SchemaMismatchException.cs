namespace MlNetStem.Data;

/// <summary>
/// A column is missing or has the wrong type. Raised before any data is read, so a broken
/// pipeline fails fast with the column, the expected and the actual type.
/// </summary>
public sealed class SchemaMismatchException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="column">Name of the offending column.</param>
    /// <param name="expected">What the component needs, in words or as a type.</param>
    /// <param name="actual">What it found (null when the column is missing).</param>
    /// <param name="component">The component that checked, for the message.</param>
    public SchemaMismatchException(string column, string expected, string? actual, string? component = null)
        : base(Format(column, expected, actual, component))
    {
        Column = column;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>Name of the offending column.</summary>
    public string Column { get; }

    /// <summary>What the component expected.</summary>
    public string Expected { get; }

    /// <summary>What was found; null when the column does not exist.</summary>
    public string? Actual { get; }

    private static string Format(string column, string expected, string? actual, string? component)
    {
        string who = component is null ? "" : $"{component}: ";
        return actual is null
            ? $"{who}column '{column}' not found; expected {expected}."
            : $"{who}column '{column}' has type {actual}; expected {expected}.";
    }
}
