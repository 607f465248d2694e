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
}
