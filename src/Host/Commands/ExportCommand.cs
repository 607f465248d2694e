using MlNetStem.Pipeline;
using MlNetStem.Trainers.Diffusion;
using MlNetStem.Trainers.Diffusion.Export;
using MlNetStem.Trainers.Mlp;
using MlNetStem.Trainers.Ridge;

namespace MlNetStem.Host.Commands;

/// <summary>
/// Exports a trained model's embedding → expression part to ONNX for deployment (stock ONNX
/// Runtime, or ML.NET's ApplyOnnxModel). Patch loading and featurization stay outside the file.
/// </summary>
public sealed class ExportCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "export";

    /// <inheritdoc />
    public string Summary => "export a trained model (embedding → expression) to a self-contained ONNX file";

    /// <inheritdoc />
    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("model", "model archive from 'train'", "FILE"),
        new("onnx", "ONNX file to write", "FILE", "model.onnx"),
        new("part", "for stem models: sampler (whole sampling loop in the graph) | denoiser (one denoising call)", "NAME", "sampler"),
        .. SamplingSettings.CommandOptions,
    ];

    /// <inheritdoc />
    public int Run(ParsedArguments args)
    {
        string path = args.Get("onnx", "model.onnx")!;
        var sampling = SamplingSettings.From(args);
        OutputPaths.CheckFile("onnx", path);
        var ctx = Contexts.Create(1, SilentProgressReporter.Instance);
        var model = ctx.SpatialExpression().LoadModel(args.Require("model"), out _);
        var trainer = (model as IEnumerable<ITransformer>)?.LastOrDefault() ?? model;
        switch (trainer)
        {
            case StemDiffusionTransformer diffusion when args.Get("part", "sampler") == "denoiser":
                StemOnnxExporter.ExportDenoiser(diffusion, path);
                Console.WriteLine($"wrote {path}: inputs x_t [N,{diffusion.GeneCount}], t [N], {StemOnnxExporter.EmbeddingInput} [N,{diffusion.FeatureCount}]{ContextInputs(diffusion)}; " +
                    $"outputs eps, v, prior_mean [N,{diffusion.GeneCount}]; label statistics and noise schedule in the metadata");
                break;
            case StemDiffusionTransformer diffusion when args.Get("part", "sampler") == "sampler":
                // No --seed: the model's own prediction seed, as predict uses.
                StemOnnxExporter.ExportSampler(diffusion, path, new StemOnnxSamplerOptions(sampling.Sampler, sampling.Steps, Draws: sampling.Draws, Seed: sampling.Seed));
                Console.WriteLine($"wrote {path}: input {StemOnnxExporter.EmbeddingInput} [N,{diffusion.FeatureCount}]{ContextInputs(diffusion)}; outputs expression, expression_std [N,{diffusion.GeneCount}], expression_draws");
                break;
            case StemDiffusionTransformer:
                throw new UsageException("--part must be sampler or denoiser");
            case RidgeTransformer ridge:
                ridge.ExportOnnx(path);
                Console.WriteLine($"wrote {path}: input {RidgeTransformer.OnnxInputName} [N,{ridge.FeatureCount}]; output {RidgeTransformer.OnnxOutputName} [N,{ridge.OutputCount}]");
                break;
            case Trainers.StAnd.StAndTransformer stAnd:
                stAnd.ExportNucleusOnnx(path);
                Console.WriteLine($"wrote {path}: input {Trainers.StAnd.StAndTransformer.OnnxInputName} [N,3,{stAnd.CropSize},{stAnd.CropSize}] (nucleus crops); " +
                    $"output {Trainers.StAnd.StAndTransformer.OnnxOutputName} [N,{stAnd.GeneCount}] (per nucleus, spot scale)");
                break;
            case MlpTransformer mlp:
                mlp.ExportOnnx(path);
                Console.WriteLine($"wrote {path}: input {MlpTransformer.OnnxInputName} [N,{mlp.FeatureCount}]; output {MlpTransformer.OnnxOutputName} [N,{mlp.OutputCount}]");
                break;
            default:
                throw new UsageException($"the model's trainer ({trainer.GetType().Name}) has no ONNX export");
        }
        return 0;
    }

    /// <summary>HisDiff's context inputs, as listed after the embedding input ("" for Stem).</summary>
    private static string ContextInputs(StemDiffusionTransformer diffusion) => string.Concat(diffusion.ContextSizes.Select((k, set) =>
        $", {StemOnnxExporter.ContextInput(set)} [N,{k},{diffusion.FeatureCount}] with {StemOnnxExporter.ContextMaskInput(set)} [N,{k}]"));
}
