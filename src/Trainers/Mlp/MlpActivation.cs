namespace MlNetStem.Trainers.Mlp;

/// <summary>Non-linearity between the hidden layers of <see cref="MlpEstimator"/>.</summary>
public enum MlpActivation
{
    /// <summary>SiLU (swish), <c>x·σ(x)</c>.</summary>
    Silu,

    /// <summary>Exact GELU, <c>0.5·x·(1 + erf(x/√2))</c> (not the tanh approximation, so ONNX export matches).</summary>
    Gelu,
}
