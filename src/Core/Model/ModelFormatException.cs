namespace MlNetStem.Model;

/// <summary>A model archive is corrupt, truncated, of an unknown kind or of a newer format.</summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelFormatException(string message, Exception? inner = null) : base(message, inner) { }
}
