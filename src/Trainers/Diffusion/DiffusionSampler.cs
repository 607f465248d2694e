namespace MlNetStem.Trainers.Diffusion;

/// <summary>How draws are generated from the trained denoiser.</summary>
public enum DiffusionSampler
{
    /// <summary>Ancestral DDPM over all training steps with the learned variance (the paper's sampler).</summary>
    Ddpm,

    /// <summary>Ancestral DDPM over <see cref="StemDiffusionOptions.Steps"/> evenly spaced steps (IDDPM respacing:
    /// betas recomputed from the cumulative alphas at the kept steps; the learned variance interpolates the respaced betas).</summary>
    RespacedDdpm,

    /// <summary>DDIM over <see cref="StemDiffusionOptions.Steps"/> respaced steps with stochasticity <see cref="StemDiffusionOptions.Eta"/>.</summary>
    Ddim,

    /// <summary>DPM-Solver++(2M): second-order multistep solver of the probability-flow ODE in data prediction on steps
    /// evenly spaced in log-SNR, first order on the final step; good in 10–20 steps. The last evaluation returns the denoised estimate.</summary>
    DpmSolver2M,
}
