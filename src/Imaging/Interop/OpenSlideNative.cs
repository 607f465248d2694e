using System.Runtime.InteropServices;

namespace MlNetStem.Imaging.Interop;

/// <summary>
/// Raw OpenSlide 3.4 entry points. The library name is a placeholder resolved by
/// <see cref="OpenSlideLibrary"/> (MLNETSTEM_OPENSLIDE_LIB, else libopenslide.so.0).
/// </summary>
internal static unsafe partial class OpenSlideNative
{
    public const string Library = "mlnetstem-openslide";

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr openslide_detect_vendor(string filename);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr openslide_open(string filename);

    [LibraryImport(Library)]
    public static partial void openslide_close(IntPtr osr);

    [LibraryImport(Library)]
    public static partial IntPtr openslide_get_error(IntPtr osr);

    [LibraryImport(Library)]
    public static partial int openslide_get_level_count(IntPtr osr);

    [LibraryImport(Library)]
    public static partial void openslide_get_level_dimensions(IntPtr osr, int level, out long width, out long height);

    [LibraryImport(Library)]
    public static partial double openslide_get_level_downsample(IntPtr osr, int level);

    [LibraryImport(Library)]
    public static partial int openslide_get_best_level_for_downsample(IntPtr osr, double downsample);

    /// <summary>Reads premultiplied ARGB; x and y are in level-0 coordinates.</summary>
    [LibraryImport(Library)]
    public static partial void openslide_read_region(IntPtr osr, uint* destination, long x, long y, int level, long width, long height);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr openslide_get_property_value(IntPtr osr, string name);
}
