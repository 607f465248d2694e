using MlNetStem.Onnx;
using MlNetStem.Onnx.Writer;
using MlNetStem.Trainers.Mlp;

namespace MlNetStem.Trainers.Diffusion.Export;

/// <summary>
/// The condition inputs both exported graphs take, and their preparation as in process: the spot's embedding
/// (<see cref="StemOnnxExporter.EmbeddingInput"/>) and, for HisDiff, every context set with its mask, concatenated into
/// the flat condition row of <see cref="ConditionLayout"/>, then standardized and bounded.
/// </summary>
internal static class ConditionOnnxGraph
{
    /// <summary>Declares the condition inputs on the main graph of <paramref name="ops"/>.</summary>
    /// <param name="ops">The main graph.</param>
    /// <param name="layout">The condition's parts.</param>
    /// <param name="features">Condition standardization.</param>
    /// <param name="visible">Also emit the raw row as the model sees it (the key of the seeded noise).</param>
    /// <returns>The raw condition row with padded context slots zeroed [N, C] ("" unless <paramref name="visible"/>), and
    /// the standardized, bounded row [N, C] the denoiser takes.</returns>
    public static (string Visible, string Standardized) Emit(OnnxGraphOps ops, ConditionLayout layout, Standardization features, bool visible)
    {
        var graph = ops.Graph;
        int c = features.Width;
        string raw = graph.AddInput(StemOnnxExporter.EmbeddingInput, OnnxElementType.Float, "N", layout.Embedding);
        string seenRow = visible ? raw : "";
        if (layout.HasContext)
        {
            // HisDiff: the flat condition row of ConditionLayout, [embedding | every context set | every mask].
            var sets = layout.ContextSizes.Select((k, set) => (k, Values: graph.AddInput(StemOnnxExporter.ContextInput(set), OnnxElementType.Float, "N", k, layout.Embedding),
                Mask: graph.AddInput(StemOnnxExporter.ContextMaskInput(set), OnnxElementType.Float, "N", k))).ToArray();
            string Flat(string values, long k) => ops.Reshape(values, -1, k * layout.Embedding);
            string[] parts = [raw, .. sets.Select(p => Flat(p.Values, p.k)), .. sets.Select(p => p.Mask)];
            // Masked attention ignores a padded slot whatever it holds, so the noise must too.
            if (visible)
                seenRow = graph.AddNode("Concat", [raw, .. sets.Select(p => Flat(ops.Mul(p.Values, ops.Unsqueeze(p.Mask, 2)), p.k)), .. sets.Select(p => p.Mask)],
                    OnnxAttribute.Int("axis", 1));
            raw = graph.AddNode("Concat", parts, OnnxAttribute.Int("axis", 1));
        }
        // Standardized, then bounded as in process (StemDiffusionTransformer.ConditionLimit), so far out-of-distribution
        // embeddings (all zeros, noise, near-constant training features) cannot drive the denoiser to overflow.
        string standardized = ops.Node("Clip", ops.Div(ops.Sub(raw, ops.Floats("feature_mean", features.Mean, c)), ops.Floats("feature_std", features.Std, c)),
            ops.Scalar("condition_min", -StemDiffusionTransformer.ConditionLimit), ops.Scalar("condition_max", StemDiffusionTransformer.ConditionLimit));
        return (seenRow, standardized);
    }

    /// <summary>The ridge mean of a <see cref="MeanPrior.Ridge"/> model for standardized condition rows [B, C]: [B, G] in
    /// the diffusion's standardized label units.</summary>
    public static string PriorMean(OnnxGraphOps ops, RidgePrior prior, string standardized, int c, int g) =>
        ops.Add(ops.Node("MatMul", standardized, ops.Floats("prior_weights", prior.Ridge.Weights, c, g)), ops.Floats("prior_bias", prior.Ridge.Bias, g));
}
