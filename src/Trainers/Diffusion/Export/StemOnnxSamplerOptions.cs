namespace MlNetStem.Trainers.Diffusion.Export;

/// <summary>
/// How <see cref="StemOnnxExporter.ExportSampler(StemDiffusionTransformer, StemOnnxSamplerOptions?)"/> unrolls sampling
/// into the exported graph. Null values take the model's own sampling options (<see cref="StemDiffusionTransformer.Options"/>).
/// </summary>
/// <param name="Sampler">The sampler; every <see cref="DiffusionSampler"/> is supported. Full DDPM puts T denoiser calls
/// in the loop, so prefer respaced DDPM, DDIM or DPM-Solver++ for inference.</param>
/// <param name="Steps">Sampling steps (ignored by <see cref="DiffusionSampler.Ddpm"/>, which runs all T).</param>
/// <param name="Eta">DDIM stochasticity.</param>
/// <param name="Draws">Samples per spot; the outputs are their mean, their standard deviation and the draws themselves.</param>
/// <param name="NoiseInput">Take the Gaussian noise as an input named <see cref="StemOnnxExporter.NoiseInput"/>
/// (float [N, Draws, K, G]; slot 0 is x_T, slot k the noise of the k-th stochastic step) instead of computing it in the
/// graph. With it the file reproduces the in-process sampler exactly when fed the same noise; without it the only
/// required inputs are the condition's, which is what ML.NET's ApplyOnnxModel wants.</param>
/// <param name="ClipDenoised">Clamp every denoised estimate to the model's clip bounds, as
/// <see cref="StemDiffusionOptions.ClipDenoised"/> does in process.</param>
/// <param name="Seed">Default of the in-graph noise's <see cref="StemOnnxExporter.SeedInput"/> input; null takes the model's
/// <see cref="StemDiffusionOptions.PredictionSeed"/>. The noise of a spot is a fixed function of this seed and the spot's
/// own condition values, so the file gives the same draws in any session, batch or row order.</param>
/// <param name="IntervalLevels">Central interval levels (e.g. 0.8, 0.9) whose quantiles of the draws are added as outputs
/// <see cref="StemOnnxExporter.LowerOutput"/>/<see cref="StemOnnxExporter.UpperOutput"/>, computed as in process; none by default.</param>
public sealed record StemOnnxSamplerOptions(
    DiffusionSampler? Sampler = null,
    int? Steps = null,
    double? Eta = null,
    int? Draws = null,
    bool NoiseInput = false,
    bool? ClipDenoised = null,
    int? Seed = null,
    IReadOnlyList<double>? IntervalLevels = null);
