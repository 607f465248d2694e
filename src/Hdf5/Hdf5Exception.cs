namespace MlNetStem.Hdf5;

/// <summary>
/// An HDF5 operation failed. The message names the operation, the object path and, when the
/// native library reported one, its own error text.
/// </summary>
public sealed class Hdf5Exception : Exception
{
    /// <summary>Creates an exception for <paramref name="operation"/> on <paramref name="path"/>.</summary>
    public Hdf5Exception(string message, string operation, string? path, Exception? inner = null)
        : base(message, inner)
    {
        Operation = operation;
        ObjectPath = path;
    }

    /// <summary>The operation that failed, e.g. "H5Dread" or "open file".</summary>
    public string Operation { get; }

    /// <summary>The file or object path involved, when there is one.</summary>
    public string? ObjectPath { get; }

    /// <summary>The messages walked from the native error stack, when the native library failed.</summary>
    public string? NativeMessage { get; init; }
}
