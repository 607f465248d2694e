namespace MlNetStem.Trainers.Diffusion;

/// <summary>Which network predicts the noise and the variance interpolation.</summary>
public enum DenoiserKind
{
    /// <summary>Stem's diffusion transformer: one token per gene, adaLN-Zero blocks, self-attention across genes.</summary>
    Dit,

    /// <summary>A residual MLP over the whole gene vector with adaLN-Zero conditioning: much cheaper per step.</summary>
    ResidualMlp,
}
