using System.Runtime.InteropServices;

namespace MlNetStem.Torch.Interop;

/// <summary>Turns shim status codes into <see cref="TorchException"/>s.</summary>
internal static class Status
{
    /// <summary>Throws when <paramref name="rc"/> is non-zero. Must run on the thread that made the call:
    /// the shim keeps the message in thread-local storage.</summary>
    internal static void Check(int rc, string operation)
    {
        if (rc != 0)
        {
            var message = Marshal.PtrToStringUTF8(NativeMethods.mst_last_error()) ?? "(no message)";
            throw new TorchException(operation, message);
        }
    }
}
