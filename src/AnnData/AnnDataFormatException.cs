namespace MlNetStem.AnnData;

/// <summary>An .h5ad file or an in-memory AnnData is malformed or uses an encoding this reader does not support.</summary>
public sealed class AnnDataFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="filePath"/> and element <paramref name="elementPath"/>.</summary>
    public AnnDataFormatException(string message, string? filePath = null, string? elementPath = null, Exception? inner = null)
        : base(message, inner)
    {
        FilePath = filePath;
        ElementPath = elementPath;
    }

    /// <summary>The .h5ad file involved, when there is one.</summary>
    public string? FilePath { get; }

    /// <summary>The element inside the file (e.g. "/obs/cell_type"), when there is one.</summary>
    public string? ElementPath { get; }
}
