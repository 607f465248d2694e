using System.Runtime.InteropServices;

namespace MlNetStem.Imaging.Interop;

/// <summary>
/// Raw libvips/GLib entry points. Only non-variadic functions: images are opened through
/// the generic operation API (find loader → operation → properties → build).
/// </summary>
internal static unsafe partial class VipsNative
{
    public const string Vips = "libvips.so.42";
    public const string GLib = "libglib-2.0.so.0";
    public const string GObject = "libgobject-2.0.so.0";

    /// <summary>GType of gchararray (G_TYPE_MAKE_FUNDAMENTAL(16)).</summary>
    public const nuint GTypeString = 16 << 2;

    /// <summary>Size of a GValue on 64-bit platforms.</summary>
    public const int GValueSize = 24;

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int vips_init(string argv0);

    [LibraryImport(Vips)]
    public static partial IntPtr vips_error_buffer();

    [LibraryImport(Vips)]
    public static partial void vips_error_clear();

    [LibraryImport(Vips)]
    public static partial void vips_cache_set_max(int max);

    [LibraryImport(Vips)]
    public static partial void vips_concurrency_set(int concurrency);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr vips_foreign_find_load(string filename);

    [LibraryImport(Vips)]
    public static partial IntPtr vips_operation_new(IntPtr name);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int vips_object_set_from_string(IntPtr vipsObject, string options);

    /// <summary>Builds (runs) an operation in place, without the operation cache: 0 on success.</summary>
    [LibraryImport(Vips)]
    public static partial int vips_object_build(IntPtr vipsObject);

    [LibraryImport(Vips)]
    public static partial void vips_object_unref_outputs(IntPtr vipsObject);

    [LibraryImport(Vips)]
    public static partial int vips_image_get_width(IntPtr image);

    [LibraryImport(Vips)]
    public static partial int vips_image_get_height(IntPtr image);

    [LibraryImport(Vips)]
    public static partial int vips_image_get_bands(IntPtr image);

    [LibraryImport(Vips)]
    public static partial int vips_image_get_format(IntPtr image);

    [LibraryImport(Vips)]
    public static partial double vips_image_get_xres(IntPtr image);

    [LibraryImport(Vips)]
    public static partial double vips_image_get_yres(IntPtr image);

    [LibraryImport(Vips)]
    public static partial int vips_image_get_n_pages(IntPtr image);

    /// <summary>GType of a metadata item, 0 when the image has no such item.</summary>
    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nuint vips_image_get_typeof(IntPtr image, string name);

    /// <summary>A string metadata item; the result points into the image (do not free).</summary>
    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int vips_image_get_string(IntPtr image, string name, out IntPtr value);

    [LibraryImport(Vips)]
    public static partial IntPtr vips_region_new(IntPtr image);

    [LibraryImport(Vips)]
    public static partial IntPtr vips_region_fetch(IntPtr region, int left, int top, int width, int height, out nuint length);

    [LibraryImport(GLib)]
    public static partial void g_free(IntPtr memory);

    /// <summary>G_LOG_LEVEL_WARNING.</summary>
    public const int GLogLevelWarning = 1 << 4;

    /// <summary>Routes a log domain's messages of <paramref name="logLevels"/> to <paramref name="logFunc"/> (GLib copies the domain).</summary>
    [LibraryImport(GLib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint g_log_set_handler(string logDomain, int logLevels,
        delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr, IntPtr, void> logFunc, IntPtr userData);

    [LibraryImport(GObject)]
    public static partial IntPtr g_value_init(byte* value, nuint gtype);

    [LibraryImport(GObject, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void g_value_set_string(byte* value, string text);

    [LibraryImport(GObject)]
    public static partial IntPtr g_value_get_object(byte* value);

    [LibraryImport(GObject)]
    public static partial void g_value_unset(byte* value);

    [LibraryImport(GObject, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void g_object_set_property(IntPtr gobject, string name, byte* value);

    [LibraryImport(GObject, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void g_object_get_property(IntPtr gobject, string name, byte* value);

    [LibraryImport(GObject)]
    public static partial IntPtr g_object_ref(IntPtr gobject);

    [LibraryImport(GObject)]
    public static partial void g_object_unref(IntPtr gobject);

    /// <summary>GType of VipsImage, needed to initialise the GValue that receives "out".</summary>
    [LibraryImport(Vips)]
    public static partial nuint vips_image_get_type();

    /// <summary>GType of gint (G_TYPE_MAKE_FUNDAMENTAL(6)).</summary>
    public const nuint GTypeInt = 6 << 2;

    [LibraryImport(GObject)]
    public static partial void g_value_set_object(byte* value, IntPtr gobject);

    [LibraryImport(GObject)]
    public static partial IntPtr g_value_get_boxed(byte* value);

    /// <summary>GType of VipsBlob, the boxed byte buffer a *save_buffer operation returns as "buffer".</summary>
    [LibraryImport(Vips)]
    public static partial nuint vips_blob_get_type();

    /// <summary>The bytes of a VipsBlob (owned by the blob).</summary>
    [LibraryImport(Vips)]
    public static partial IntPtr vips_blob_get(IntPtr blob, out nuint length);

    /// <summary>A new image holding a copy of <paramref name="data"/> (format 0 = 8-bit unsigned).</summary>
    [LibraryImport(Vips)]
    public static partial IntPtr vips_image_new_from_memory_copy(byte* data, nuint size, int width, int height, int bands, int format);

    /// <summary>Renders the image and returns its pixels, band-interleaved (free with g_free).</summary>
    [LibraryImport(Vips)]
    public static partial IntPtr vips_image_write_to_memory(IntPtr image, out nuint size);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr vips_operation_new(string name);

    /// <summary>A one-band double matrix image of <paramref name="width"/> × <paramref name="height"/> from row-major values (recomb, maplut, morph masks).</summary>
    [LibraryImport(Vips)]
    public static partial IntPtr vips_image_new_matrix_from_array(int width, int height, double* array, int size);
}
