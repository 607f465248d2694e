namespace MlNetStem.Torch;

/// <summary>Kinds of device a tensor can live on.</summary>
public enum DeviceType
{
    /// <summary>Host memory.</summary>
    Cpu = 0,

    /// <summary>An NVIDIA GPU; needs a CUDA build of libtorch behind the shim.</summary>
    Cuda = 1,
}
