using MlNetStem.Torch.Interop;

namespace MlNetStem.Torch;

/// <summary>Where tensors live: the CPU, or a CUDA device when the linked libtorch has one.</summary>
/// <param name="Type">The kind of device.</param>
/// <param name="Index">The device ordinal (0 for the CPU).</param>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The host CPU.</summary>
    public static Device Cpu => new(DeviceType.Cpu);

    /// <summary>A CUDA device.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative.</exception>
    public static Device Cuda(int index = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new Device(DeviceType.Cuda, index);
    }

    /// <summary>Number of CUDA devices the linked libtorch sees (0 for a CPU-only build).</summary>
    public static int CudaDeviceCount
    {
        get
        {
            Status.Check(NativeMethods.mst_cuda_device_count(out var n), "cuda_device_count");
            return n;
        }
    }

    /// <summary>Whether at least one CUDA device is usable.</summary>
    public static bool IsCudaAvailable => CudaDeviceCount > 0;

    /// <summary>The first CUDA device when available, else the CPU.</summary>
    public static Device Best => IsCudaAvailable ? Cuda() : Cpu;

    /// <inheritdoc/>
    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : $"cuda:{Index}";

    /// <summary>Throws a clear error before a native call when CUDA is asked for but absent.</summary>
    internal void EnsureAvailable()
    {
        if (Type == DeviceType.Cuda && Index >= CudaDeviceCount)
            throw new ArgumentException(
                $"Device {this} is not available: the linked libtorch sees {CudaDeviceCount} CUDA device(s). " +
                "Build the shim against a CUDA libtorch (MLNETSTEM_TORCH_DIR) or use Device.Cpu.");
    }
}
