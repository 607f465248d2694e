using System.Runtime.InteropServices;

namespace MlNetStem.Hdf5.Interop;

/// <summary>Owns one hid_t and closes it with the matching H5?close under the global lock.</summary>
internal sealed class H5Handle : SafeHandle
{
    private H5Handle(long id, H5HandleKind kind) : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((IntPtr)id);
        Kind = kind;
    }

    public H5HandleKind Kind { get; }

    public long Id
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return (long)handle;
        }
    }

    public override bool IsInvalid => (long)handle <= 0;

    /// <summary>Wraps <paramref name="id"/> or throws the native error when it is negative. Hold the lock.</summary>
    public static H5Handle Wrap(long id, H5HandleKind kind, string operation, string? path)
    {
        if (id < 0) throw Hdf5Library.Failure(operation, path);
        return new H5Handle(id, kind);
    }

    protected override bool ReleaseHandle()
    {
        long id = (long)handle;
        lock (Hdf5Library.Sync)
        {
            int status = Kind switch
            {
                H5HandleKind.File => H5Native.H5Fclose(id),
                H5HandleKind.Group => H5Native.H5Gclose(id),
                H5HandleKind.Dataset => H5Native.H5Dclose(id),
                H5HandleKind.Dataspace => H5Native.H5Sclose(id),
                H5HandleKind.Datatype => H5Native.H5Tclose(id),
                H5HandleKind.Attribute => H5Native.H5Aclose(id),
                H5HandleKind.PropertyList => H5Native.H5Pclose(id),
                _ => H5Native.H5Oclose(id),
            };
            if (status < 0) H5Native.H5Eclear2(H5Native.H5E_DEFAULT);
            return status >= 0;
        }
    }
}
