using System.Runtime.InteropServices;
using MlNetStem.Imaging.Interop;

namespace MlNetStem.Imaging;

/// <summary>An openslide_t*, closed with openslide_close.</summary>
internal sealed class OpenSlideHandle : SafeHandle
{
    public OpenSlideHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public OpenSlideHandle(IntPtr osr) : this() => SetHandle(osr);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        OpenSlideNative.openslide_close(handle);
        return true;
    }
}
