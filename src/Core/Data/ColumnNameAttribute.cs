namespace MlNetStem.Data;

/// <summary>Maps a property of a row class to a column of another name.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ColumnNameAttribute(string name) : Attribute
{
    /// <summary>The column name.</summary>
    public string Name { get; } = name;
}
