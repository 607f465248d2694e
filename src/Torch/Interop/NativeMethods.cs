using System.Runtime.InteropServices;

namespace MlNetStem.Torch.Interop;

/// <summary>Raw signatures of native/mlnetstem_torch.h. Every int return is a status (0 = ok).</summary>
internal static unsafe partial class NativeMethods
{
    internal const string Library = "mlnetstem_torch";

    // An explicit static constructor runs before the first P/Invoke, so the resolver is in place.
    static NativeMethods() => ShimLocator.Install(typeof(NativeMethods).Assembly);

    [LibraryImport(Library)] internal static partial IntPtr mst_last_error();
    [LibraryImport(Library)] internal static partial int mst_version(out int major, out int minor, out int patch);
    [LibraryImport(Library)] internal static partial int mst_set_num_threads(int n);
    [LibraryImport(Library)] internal static partial int mst_get_num_threads(out int n);
    [LibraryImport(Library)] internal static partial int mst_cuda_device_count(out int count);

    [LibraryImport(Library)] internal static partial void mst_tensor_free(IntPtr t);
    [LibraryImport(Library)] internal static partial int mst_from_data(void* data, long nbytes, int dtype, long[] shape, int ndim, int device, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_to_data(TensorHandle t, void* dst, long nbytes);
    [LibraryImport(Library)] internal static partial int mst_ndim(TensorHandle t, out int ndim);
    [LibraryImport(Library)] internal static partial int mst_shape(TensorHandle t, long[] dims, int capacity);
    [LibraryImport(Library)] internal static partial int mst_dtype(TensorHandle t, out int dtype);
    [LibraryImport(Library)] internal static partial int mst_device(TensorHandle t, out int device, out int deviceIndex);
    [LibraryImport(Library)] internal static partial int mst_item(TensorHandle t, out double value);
    [LibraryImport(Library)] internal static partial int mst_full(long[] shape, int ndim, double value, int dtype, int device, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_arange(double start, double end, double step, int dtype, int device, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_to(TensorHandle t, int dtype, int device, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_copy_(TensorHandle dst, TensorHandle src);
    [LibraryImport(Library)] internal static partial int mst_move_(TensorHandle t, int device, int deviceIndex);

    [LibraryImport(Library)] internal static partial int mst_generator_new(ulong seed, out IntPtr result);
    [LibraryImport(Library)] internal static partial void mst_generator_free(IntPtr g);
    [LibraryImport(Library)] internal static partial int mst_generator_set_seed(GeneratorHandle g, ulong seed);
    [LibraryImport(Library)] internal static partial int mst_random(GeneratorHandle g, int kind, long[] shape, int ndim, long low, long high, int dtype, int device, int deviceIndex, out IntPtr result);

    [LibraryImport(Library)] internal static partial int mst_unary(int op, TensorHandle a, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_binary(int op, TensorHandle a, TensorHandle b, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_scalar(int op, TensorHandle a, double s, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_linear(IntPtr x, IntPtr w, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_layer_norm(IntPtr x, long[] normalizedShape, int ndim, IntPtr w, IntPtr b, double eps, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_softmax(TensorHandle x, long dim, int log, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_clamp(TensorHandle x, int hasMin, double min, int hasMax, double max, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_reduce_all(int op, TensorHandle x, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_reduce_dims(int op, TensorHandle x, long[] dims, int ndims, int keepdim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_reshape(TensorHandle x, long[] shape, int ndim, int view, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_permute(TensorHandle x, long[] dims, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_transpose(TensorHandle x, long d0, long d1, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_cat(IntPtr[] xs, int n, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_narrow(TensorHandle x, long dim, long start, long length, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_index_select(TensorHandle x, long dim, TensorHandle index, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_gather(TensorHandle x, long dim, TensorHandle index, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_unsqueeze(TensorHandle x, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_squeeze(TensorHandle x, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_expand(TensorHandle x, long[] shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_where(TensorHandle cond, TensorHandle a, TensorHandle b, out IntPtr result);

    [LibraryImport(Library)] internal static partial int mst_set_requires_grad(TensorHandle t, int requiresGrad);
    [LibraryImport(Library)] internal static partial int mst_requires_grad(TensorHandle t, out int requiresGrad);
    [LibraryImport(Library)] internal static partial int mst_backward(IntPtr t, IntPtr grad);
    [LibraryImport(Library)] internal static partial int mst_grad(TensorHandle t, out IntPtr result);
    [LibraryImport(Library)] internal static partial int mst_zero_grad(TensorHandle t);
    [LibraryImport(Library)] internal static partial int mst_autograd_grad(IntPtr output, IntPtr[] inputs, int n, [Out] IntPtr[] outs);
    [LibraryImport(Library)] internal static partial int mst_set_grad(IntPtr t, IntPtr grad);
    [LibraryImport(Library)] internal static partial int mst_set_grad_enabled(int enabled, out int previous);

    [LibraryImport(Library)] internal static partial int mst_adamw_step(IntPtr[] parameters, IntPtr[] expAvg, IntPtr[] expAvgSq, int n, double lr, double beta1, double beta2, double eps, double weightDecay, long step);
    [LibraryImport(Library)] internal static partial int mst_ema_update(IntPtr[] shadow, IntPtr[] parameters, int n, double decay);
}
