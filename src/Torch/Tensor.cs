using System.Runtime.InteropServices;
using MlNetStem.Torch.Interop;

namespace MlNetStem.Torch;

/// <summary>
/// A libtorch tensor. Owns one native handle; dispose it, or create it inside a
/// <see cref="DisposeScope"/> (<see cref="NewScope"/>) that disposes it for you. Operations return
/// new tensors and validate their arguments before any native call.
/// </summary>
/// <example>
/// <code>
/// using var scope = Tensor.NewScope();
/// var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
/// var w = Tensor.Ones([4, 3]);
/// float[] y = Tensor.Linear(x, w).Relu().ToFloatArray();   // shape [2, 4]
/// </code>
/// </example>
public sealed partial class Tensor : IDisposable
{
    private readonly TensorHandle _handle;
    private long[]? _shape;
    private DType? _dtype;
    private Device? _device;

    private Tensor(TensorHandle handle)
    {
        _handle = handle;
        DisposeScope.Current?.Attach(this);
    }

    /// <summary>Wraps a fresh native result, turning a failure status into a <see cref="TorchException"/>.</summary>
    internal static Tensor Wrap(int rc, IntPtr result, string operation)
    {
        if (rc != 0)
        {
            if (result != IntPtr.Zero) NativeMethods.mst_tensor_free(result);
            Status.Check(rc, operation);
        }
        if (result == IntPtr.Zero) throw new TorchException(operation, "returned no tensor");
        return new Tensor(new TensorHandle(result));
    }

    /// <summary>Opens a <see cref="DisposeScope"/> on this thread; tensors created until it is disposed belong to it.</summary>
    public static DisposeScope NewScope() => new();

    /// <summary>The scope that will dispose this tensor, if any.</summary>
    internal DisposeScope? Scope { get; set; }

    /// <summary>Whether the native tensor has been released.</summary>
    public bool IsDisposed => _handle.IsClosed;

    /// <summary>The native handle; throws when the tensor was disposed.</summary>
    internal TensorHandle Handle =>
        _handle.IsClosed ? throw new ObjectDisposedException(nameof(Tensor), "The tensor was disposed (explicitly or by the end of its DisposeScope).") : _handle;

    /// <summary>The sizes of the dimensions.</summary>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    public IReadOnlyList<long> Shape
    {
        get
        {
            if (_shape is null)
            {
                Status.Check(NativeMethods.mst_ndim(Handle, out var ndim), "ndim");
                var dims = new long[ndim];
                Status.Check(NativeMethods.mst_shape(Handle, dims, ndim), "shape");
                _shape = dims;
            }
            else
            {
                _ = Handle;
            }
            return _shape;
        }
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Count;

    /// <summary>Number of elements.</summary>
    public long Numel => ShapeRules.Numel(Shape);

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dimension does not exist.</exception>
    public long Size(long dim) => Shape[(int)ShapeRules.Dim(dim, Rank, "Size", Shape)];

    /// <summary>The element type.</summary>
    public DType DType
    {
        get
        {
            if (_dtype is null)
            {
                Status.Check(NativeMethods.mst_dtype(Handle, out var d), "dtype");
                _dtype = (DType)d;
            }
            return _dtype.Value;
        }
    }

    /// <summary>The device the data lives on.</summary>
    public Device Device
    {
        get
        {
            if (_device is null)
            {
                Status.Check(NativeMethods.mst_device(Handle, out var kind, out var index), "device");
                _device = new Device((DeviceType)kind, index);
            }
            return _device.Value;
        }
    }

    /// <summary>Releases the native tensor now. Safe to call twice.</summary>
    public void Dispose()
    {
        _handle.Dispose();
        Scope?.Forget(this);
    }

    /// <summary>Hands this tensor to the scope enclosing its current one (or to no scope) and returns it.</summary>
    public Tensor MoveToOuterScope()
    {
        _ = Handle;
        var outer = Scope?.Outer;
        Scope?.Forget(this);
        outer?.Attach(this);
        return this;
    }

    /// <summary>Removes this tensor from every scope: the caller now owns it and must dispose it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        _ = Handle;
        Scope?.Forget(this);
        return this;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        IsDisposed ? "Tensor(disposed)" : $"Tensor({DType}, {ShapeRules.Format(Shape)}, {Device})";

    // ---- creation and data ----

    /// <summary>Copies a float array into a new Float32 tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The array length differs from the shape's element count.</exception>
    public static Tensor FromArray(float[] data, long[] shape, Device? device = null) =>
        FromSpan<float>(data, shape, DType.Float32, device);

    /// <summary>Copies a double array into a new Float64 tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The array length differs from the shape's element count.</exception>
    public static Tensor FromArray(double[] data, long[] shape, Device? device = null) =>
        FromSpan<double>(data, shape, DType.Float64, device);

    /// <summary>Copies a long array into a new Int64 tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The array length differs from the shape's element count.</exception>
    public static Tensor FromArray(long[] data, long[] shape, Device? device = null) =>
        FromSpan<long>(data, shape, DType.Int64, device);

    /// <summary>Copies a bool array into a new Bool tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The array length differs from the shape's element count.</exception>
    public static Tensor FromArray(bool[] data, long[] shape, Device? device = null) =>
        FromSpan<bool>(data, shape, DType.Bool, device);

    private static unsafe Tensor FromSpan<T>(T[] data, long[] shape, DType dtype, Device? device) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        ShapeRules.CheckShape(shape, nameof(shape));
        var numel = ShapeRules.Numel(shape);
        if (numel != data.Length)
            throw new ArgumentException(
                $"FromArray: shape {ShapeRules.Format(shape)} holds {numel} elements but the array has {data.Length}.",
                nameof(data));
        var dev = device ?? Device.Cpu;
        dev.EnsureAvailable();
        fixed (T* p = data)
        {
            var rc = NativeMethods.mst_from_data(p, (long)data.Length * sizeof(T), (int)dtype, shape, shape.Length,
                (int)dev.Type, dev.Index, out var result);
            return Wrap(rc, result, "from_data");
        }
    }

    /// <summary>Copies raw little-endian element bytes into a new tensor (used by state dicts).</summary>
    internal static unsafe Tensor FromBytes(ReadOnlySpan<byte> bytes, long[] shape, DType dtype)
    {
        fixed (byte* p = bytes)
        {
            var rc = NativeMethods.mst_from_data(p, bytes.Length, (int)dtype, shape, shape.Length,
                (int)DeviceType.Cpu, 0, out var result);
            return Wrap(rc, result, "from_data");
        }
    }

    /// <summary>Copies the elements (moved to the CPU, row-major) into a byte array.</summary>
    internal unsafe byte[] ToBytes()
    {
        var bytes = new byte[checked(Numel * ElementSize(DType))];
        fixed (byte* p = bytes) Status.Check(NativeMethods.mst_to_data(Handle, p, bytes.Length), "to_data");
        return bytes;
    }

    internal static int ElementSize(DType dtype) => dtype switch
    {
        DType.Float32 => 4,
        DType.Float64 => 8,
        DType.Int64 => 8,
        DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>The elements of a Float32 tensor in row-major order.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not Float32.</exception>
    public float[] ToFloatArray() => ToArray<float>(DType.Float32);

    /// <summary>The elements of a Float64 tensor in row-major order.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not Float64.</exception>
    public double[] ToDoubleArray() => ToArray<double>(DType.Float64);

    /// <summary>The elements of an Int64 tensor in row-major order.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not Int64.</exception>
    public long[] ToInt64Array() => ToArray<long>(DType.Int64);

    /// <summary>The elements of a Bool tensor in row-major order.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not Bool.</exception>
    public bool[] ToBoolArray() => ToArray<bool>(DType.Bool);

    private unsafe T[] ToArray<T>(DType expected) where T : unmanaged
    {
        if (DType != expected)
            throw new InvalidOperationException($"The tensor holds {DType}, not {expected}; convert with To(DType.{expected}) first.");
        var result = new T[Numel];
        fixed (T* p = result)
            Status.Check(NativeMethods.mst_to_data(Handle, p, (long)result.Length * sizeof(T)), "to_data");
        return result;
    }

    /// <summary>The value of a one-element tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor has more or fewer than one element.</exception>
    public double Item()
    {
        if (Numel != 1)
            throw new InvalidOperationException($"Item() needs a one-element tensor, got shape {ShapeRules.Format(Shape)}.");
        Status.Check(NativeMethods.mst_item(Handle, out var v), "item");
        return v;
    }

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(long[] shape, DType dtype = DType.Float32, Device? device = null) =>
        Full(shape, 0, dtype, device);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(long[] shape, DType dtype = DType.Float32, Device? device = null) =>
        Full(shape, 1, dtype, device);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">A size is negative, or the device is unavailable.</exception>
    public static Tensor Full(long[] shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        ShapeRules.CheckShape(shape, nameof(shape));
        var dev = device ?? Device.Cpu;
        dev.EnsureAvailable();
        var rc = NativeMethods.mst_full(shape, shape.Length, value, (int)dtype, (int)dev.Type, dev.Index, out var r);
        return Wrap(rc, r, "full");
    }

    /// <summary>Values from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive) by <paramref name="step"/>.</summary>
    /// <exception cref="ArgumentException">The step is zero or points away from the end.</exception>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32, Device? device = null)
    {
        if (step == 0 || double.IsNaN(step) || (end - start) * step < 0)
            throw new ArgumentException($"Arange: step {step} cannot go from {start} to {end}.", nameof(step));
        var dev = device ?? Device.Cpu;
        dev.EnsureAvailable();
        var rc = NativeMethods.mst_arange(start, end, step, (int)dtype, (int)dev.Type, dev.Index, out var r);
        return Wrap(rc, r, "arange");
    }

    /// <summary>Standard normal samples drawn from <paramref name="generator"/>.</summary>
    public static Tensor RandN(long[] shape, Generator generator, DType dtype = DType.Float32, Device? device = null) =>
        Random(0, shape, 0, 0, generator, dtype, device, "randn");

    /// <summary>Uniform samples in [0, 1) drawn from <paramref name="generator"/>.</summary>
    public static Tensor Rand(long[] shape, Generator generator, DType dtype = DType.Float32, Device? device = null) =>
        Random(1, shape, 0, 0, generator, dtype, device, "rand");

    /// <summary>Uniform integers in [<paramref name="low"/>, <paramref name="high"/>) as Int64, drawn from <paramref name="generator"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="high"/> is not above <paramref name="low"/>.</exception>
    public static Tensor RandInt(long low, long high, long[] shape, Generator generator, Device? device = null)
    {
        if (high <= low)
            throw new ArgumentException($"RandInt: high ({high}) must be greater than low ({low}).", nameof(high));
        return Random(2, shape, low, high, generator, DType.Int64, device, "randint");
    }

    private static Tensor Random(int kind, long[] shape, long low, long high, Generator generator, DType dtype,
        Device? device, string operation)
    {
        ShapeRules.CheckShape(shape, nameof(shape));
        ArgumentNullException.ThrowIfNull(generator);
        if (kind != 2 && dtype is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"{operation} needs a floating-point dtype, got {dtype}.", nameof(dtype));
        var dev = device ?? Device.Cpu;
        dev.EnsureAvailable();
        var rc = NativeMethods.mst_random(generator.Handle, kind, shape, shape.Length, low, high, (int)dtype,
            (int)dev.Type, dev.Index, out var r);
        return Wrap(rc, r, operation);
    }

    /// <summary>A copy converted to <paramref name="dtype"/>.</summary>
    public Tensor To(DType dtype) => To(dtype, Device);

    /// <summary>A copy moved to <paramref name="device"/>.</summary>
    public Tensor To(Device device) => To(DType, device);

    /// <summary>A copy converted to <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentException">The device is not available.</exception>
    public Tensor To(DType dtype, Device device)
    {
        device.EnsureAvailable();
        var rc = NativeMethods.mst_to(Handle, (int)dtype, (int)device.Type, device.Index, out var r);
        return Wrap(rc, r, "to");
    }

    /// <summary>Moves this tensor's storage to <paramref name="device"/> in place (the object stays valid);
    /// used by <see cref="Nn.Module.To"/> for parameters and buffers. Drops any gradient.</summary>
    internal void MoveInPlace(Device device)
    {
        device.EnsureAvailable();
        if (Device == device) return;
        Status.Check(NativeMethods.mst_move_(Handle, (int)device.Type, device.Index), "move_");
        _device = null;
    }

    /// <summary>Copies <paramref name="source"/>'s values into this tensor in place, without recording gradients.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public void CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!Shape.SequenceEqual(source.Shape))
            throw new ArgumentException(
                $"CopyFrom: source shape {ShapeRules.Format(source.Shape)} differs from destination shape {ShapeRules.Format(Shape)}.",
                nameof(source));
        Status.Check(NativeMethods.mst_copy_(Handle, source.Handle), "copy_");
    }
}
