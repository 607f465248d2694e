namespace MlNetStem.Onnx;

/// <summary>How a session is created. Immutable; <see cref="Default"/> suits small machines.</summary>
public sealed record OnnxSessionOptions
{
    /// <summary>Options with every default.</summary>
    public static OnnxSessionOptions Default { get; } = new();

    /// <summary>Threads used inside one operator; 0 lets ORT choose (one per core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads running independent operators in parallel; 0 lets ORT choose. Only used with <see cref="ParallelExecution"/>.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>Graph optimization level.</summary>
    public OnnxGraphOptimizationLevel OptimizationLevel { get; init; } = OnnxGraphOptimizationLevel.All;

    /// <summary>Run independent branches of the graph in parallel (ORT_PARALLEL); sequential when false.</summary>
    public bool ParallelExecution { get; init; }

    /// <summary>
    /// Whether idle intra-op threads spin. <c>null</c> means: off on machines with 4 or fewer
    /// cores, where spinning threads steal time from the caller and from other sessions.
    /// </summary>
    public bool? AllowSpinning { get; init; }

    /// <summary>Extra session configuration entries (see onnxruntime_session_options_config_keys.h).</summary>
    public IReadOnlyDictionary<string, string>? ConfigEntries { get; init; }

    /// <summary>
    /// Keep ONNX Runtime from printing this session's errors to stderr (they still surface as
    /// <see cref="OnnxRuntimeException"/>): for probes that are expected to fail on some models.
    /// </summary>
    public bool QuietErrors { get; init; }

    /// <summary>
    /// <c>null</c> (the default) runs on the CPU. A device number requests ONNX Runtime's CUDA
    /// execution provider on that GPU, with the CPU provider taking the operators CUDA lacks.
    /// This needs the GPU build of the runtime (<c>dotnet build -p:OnnxRuntimeGpu=true</c>, which
    /// references Microsoft.ML.OnnxRuntime.Gpu.Linux instead of Microsoft.ML.OnnxRuntime; see
    /// src/Onnx/README.md) plus CUDA 12 and cuDNN 9 on the machine. On the default CPU build,
    /// creating a session with this set throws an <see cref="OnnxRuntimeException"/> that says so.
    /// </summary>
    public int? CudaDeviceId { get; init; }
}
