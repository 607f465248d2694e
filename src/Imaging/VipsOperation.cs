using MlNetStem.Imaging.Interop;

namespace MlNetStem.Imaging;

/// <summary>
/// One libvips operation called through the generic operation API (new → set properties → build → read outputs),
/// which avoids libvips' variadic C functions. Disposing releases the operation and its outputs.
/// </summary>
internal sealed unsafe class VipsOperation : IDisposable
{
    private readonly string _name;
    private IntPtr _operation;
    private IntPtr _built;

    public VipsOperation(string name)
    {
        VipsLibrary.EnsureInitialized();
        _name = name;
        _operation = VipsNative.vips_operation_new(name);
        if (_operation == IntPtr.Zero) throw new VipsException(name, VipsLibrary.TakeError());
    }

    /// <summary>Sets options from libvips' text form, e.g. "width=600,size=down".</summary>
    public VipsOperation Options(string options)
    {
        if (VipsNative.vips_object_set_from_string(_operation, options) != 0) throw new VipsException(_name, VipsLibrary.TakeError());
        return this;
    }

    public VipsOperation Set(string property, string value)
    {
        byte* gvalue = stackalloc byte[VipsNative.GValueSize];
        new Span<byte>(gvalue, VipsNative.GValueSize).Clear();
        VipsNative.g_value_init(gvalue, VipsNative.GTypeString);
        VipsNative.g_value_set_string(gvalue, value);
        VipsNative.g_object_set_property(_operation, property, gvalue);
        VipsNative.g_value_unset(gvalue);
        return this;
    }

    /// <summary>Sets an image input; the operation takes its own reference.</summary>
    public VipsOperation SetImage(string property, IntPtr image)
    {
        byte* gvalue = stackalloc byte[VipsNative.GValueSize];
        new Span<byte>(gvalue, VipsNative.GValueSize).Clear();
        VipsNative.g_value_init(gvalue, VipsNative.vips_image_get_type());
        VipsNative.g_value_set_object(gvalue, image);
        VipsNative.g_object_set_property(_operation, property, gvalue);
        VipsNative.g_value_unset(gvalue);
        return this;
    }

    /// <summary>Runs the operation.</summary>
    /// <remarks>
    /// Built in place with <c>vips_object_build</c>, not through <c>vips_cache_operation_build</c> (the operation cache is
    /// off: <see cref="VipsLibrary"/> sets its size to 0). Builds are serialized process-wide (<see cref="VipsLibrary.BuildGate"/>):
    /// building only sets up a lazy pipeline (pixels are computed later, in parallel, when an image is rendered), so
    /// this costs no parallelism; concurrent builds of the same operation intermittently failed in the full test suite
    /// (<c>gaussblur</c> in the nucleus detector's workers, twice with an empty reason), and libvips' error buffer is
    /// process-global, so a failure read while another thread builds can lose or take the other's message.
    /// </remarks>
    /// <exception cref="VipsException">libvips refused or failed; the message carries its reason.</exception>
    public VipsOperation Build(string what)
    {
        lock (VipsLibrary.BuildGate)
        {
            if (VipsNative.vips_object_build(_operation) != 0)
            {
                VipsNative.vips_object_unref_outputs(_operation);
                throw new VipsException(what, VipsLibrary.TakeError());
            }
        }
        _built = VipsNative.g_object_ref(_operation);
        return this;
    }

    /// <summary>An image output, with a new reference the caller must release (g_object_unref).</summary>
    public IntPtr TakeImage(string property)
    {
        byte* gvalue = stackalloc byte[VipsNative.GValueSize];
        new Span<byte>(gvalue, VipsNative.GValueSize).Clear();
        VipsNative.g_value_init(gvalue, VipsNative.vips_image_get_type());
        VipsNative.g_object_get_property(_built, property, gvalue);
        IntPtr image = VipsNative.g_value_get_object(gvalue);
        if (image != IntPtr.Zero) VipsNative.g_object_ref(image);
        VipsNative.g_value_unset(gvalue);
        if (image == IntPtr.Zero) throw new VipsException(_name, $"no '{property}' image came out");
        return image;
    }

    /// <summary>A blob output (e.g. the "buffer" of pngsave_buffer), copied to managed memory.</summary>
    public byte[] ReadBlob(string property)
    {
        byte* gvalue = stackalloc byte[VipsNative.GValueSize];
        new Span<byte>(gvalue, VipsNative.GValueSize).Clear();
        VipsNative.g_value_init(gvalue, VipsNative.vips_blob_get_type());
        try
        {
            VipsNative.g_object_get_property(_built, property, gvalue);
            IntPtr blob = VipsNative.g_value_get_boxed(gvalue);
            if (blob == IntPtr.Zero) throw new VipsException(_name, $"no '{property}' buffer came out");
            IntPtr data = VipsNative.vips_blob_get(blob, out nuint length);
            return new ReadOnlySpan<byte>((void*)data, checked((int)length)).ToArray();
        }
        finally
        {
            VipsNative.g_value_unset(gvalue);
        }
    }

    public void Dispose()
    {
        if (_built != IntPtr.Zero)
        {
            VipsNative.vips_object_unref_outputs(_built);
            VipsNative.g_object_unref(_built);
            _built = IntPtr.Zero;
        }
        if (_operation != IntPtr.Zero)
        {
            VipsNative.g_object_unref(_operation);
            _operation = IntPtr.Zero;
        }
    }
}
