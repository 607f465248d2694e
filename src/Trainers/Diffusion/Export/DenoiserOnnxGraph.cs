using MlNetStem.Torch;
using MlNetStem.Torch.Nn;

namespace MlNetStem.Trainers.Diffusion.Export;

/// <summary>
/// Writes a denoiser's forward pass (ε, v) = f(x_t, t, condition) into an ONNX graph, operation for operation as
/// <see cref="StemDit"/> and <see cref="ResidualMlpDenoiser"/> compute it: sinusoidal timestep features in-graph,
/// adaLN modulation from Split chunks, multi-head attention from MatMul/Softmax. Weights are found by their state-dict
/// names, and the Linear/SiLU sub-modules emit themselves (<see cref="IOnnxExportable"/>).
/// </summary>
internal static class DenoiserOnnxGraph
{
    /// <summary>Adds the denoiser to <paramref name="ops"/>' graph.</summary>
    /// <param name="ops">Target graph (the main graph, or a Loop body).</param>
    /// <param name="network">A <see cref="StemDit"/> or <see cref="ResidualMlpDenoiser"/>.</param>
    /// <param name="heads">Attention heads of a DiT.</param>
    /// <param name="noisy">x_t, float [B, G].</param>
    /// <param name="timesteps">Training timesteps, float [B].</param>
    /// <param name="condition">Standardized condition, float [B, C].</param>
    /// <returns>ε and v, float [B, G] each.</returns>
    /// <exception cref="NotSupportedException">The network is of another kind.</exception>
    public static (string Epsilon, string Variance) Emit(OnnxGraphOps ops, Module network, int heads, string noisy, string timesteps, string condition) =>
        EmitEmbedded(ops, network, heads, noisy, timesteps, EmbedCondition(ops, network, condition));

    /// <summary>The condition-only part (y_embedder), emitted once outside a sampling loop (see <see cref="IDenoiser.EmbedCondition"/>).</summary>
    public static string EmbedCondition(OnnxGraphOps ops, Module network, string condition) => network is GeneBlockDenoiser
        ? ops.Graph.AddNode("Concat", Blocks(network).Select(b => Emit(ops, b.Module, "y_embedder", condition, b.Prefix)).ToArray(),
            MlNetStem.Onnx.Writer.OnnxAttribute.Int("axis", 1))
        : Emit(ops, network, "y_embedder", condition);

    /// <summary><see cref="Emit(OnnxGraphOps, Module, int, string, string, string)"/> with the condition already embedded.</summary>
    public static (string Epsilon, string Variance) EmitEmbedded(OnnxGraphOps ops, Module network, int heads, string noisy, string timesteps, string embeddedCondition)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network is GeneBlockDenoiser blocked) return GeneBlocks(ops, blocked, heads, noisy, timesteps, embeddedCondition);
        string c = ops.Add(TimestepEmbedding(ops, Child(network, "t_embedder"), timesteps), embeddedCondition);
        return network switch
        {
            StemDit => Dit(ops, network, heads, noisy, c),
            ResidualMlpDenoiser => ResidualMlp(ops, network, noisy, c),
            _ => throw new NotSupportedException($"No ONNX export for the denoiser {network.GetType().Name}."),
        };
    }

    /// <summary>Each block's denoiser on its genes and its part of the embedded condition; ε and v concatenated.</summary>
    private static (string, string) GeneBlocks(OnnxGraphOps ops, GeneBlockDenoiser network, int heads, string noisy, string timesteps, string embedded)
    {
        var blocks = Blocks(network);
        var ranges = GeneBlockDenoiser.Ranges(network.GeneCount, blocks[0].Genes).ToArray();
        long width = ((Linear)Child(blocks[0].Module, "final_layer.adaLN_modulation.1")).InFeatures;   // H, each block's share
        var epsilon = new string[blocks.Length];
        var variance = new string[blocks.Length];
        for (int b = 0; b < blocks.Length; b++)
        {
            string genes = Slice(ops, noisy, ranges[b].Start, ranges[b].Count);
            string condition = Slice(ops, embedded, b * width, width);
            (epsilon[b], variance[b]) = EmitEmbedded(ops, blocks[b].Module, heads, genes, timesteps, condition);
        }
        var axis = MlNetStem.Onnx.Writer.OnnxAttribute.Int("axis", 1);
        return (ops.Graph.AddNode("Concat", epsilon, axis), ops.Graph.AddNode("Concat", variance, axis));
    }

    private static string Slice(OnnxGraphOps ops, string x, long start, long count) =>
        ops.Node("Slice", x, ops.Int64s("starts", start), ops.Int64s("ends", start + count), ops.Int64s("axes", 1));

    private static (string Prefix, Module Module, int Genes)[] Blocks(Module network) =>
        Child(network, "gene_blocks").NamedChildren()
            .Select(c => ($"gene_blocks.{c.Key}", c.Value, ((IDenoiser)c.Value).GeneCount)).ToArray();

    private static (string, string) Dit(OnnxGraphOps ops, Module network, int heads, string noisy, string c)
    {
        var geneEmbedding = Parameter(network, "gene_embedding");          // [G, H]
        long hidden = geneEmbedding.Shape[1];
        if (heads < 1 || hidden % heads != 0) throw new ArgumentOutOfRangeException(nameof(heads), heads, $"Heads must divide the hidden size {hidden}.");
        string unit = ops.Floats("norm.unit_scale", Enumerable.Repeat(1f, (int)hidden).ToArray(), hidden);
        string one = ops.Scalar("one", 1);
        string x = ops.Add(Emit(ops, network, "x_embedder", ops.Unsqueeze(noisy, 2)),
            OnnxExport.AddInitializer(ops.Graph, "gene_embedding", geneEmbedding));     // [B, G, H]
        var blocks = Child(network, "blocks").NamedChildren().ToArray();
        foreach (var (name, block) in blocks)
        {
            string prefix = $"blocks.{name}";
            var m = ops.Split(Emit(ops, block, "adaLN_modulation", c, prefix), 6, 1);
            string h = Modulate3(ops, ops.Norm(x, unit, AdaLnModulation.NormEps), m[0], m[1], one);
            x = ops.Add(x, ops.Mul(ops.Unsqueeze(m[2], 1), Attention(ops, block, prefix, h, hidden, heads)));
            h = Modulate3(ops, ops.Norm(x, unit, AdaLnModulation.NormEps), m[3], m[4], one);
            string mlp = Emit(ops, block, "mlp.fc2", Gelu(ops, Emit(ops, block, "mlp.fc1", h, prefix)), prefix);
            x = ops.Add(x, ops.Mul(ops.Unsqueeze(m[5], 1), mlp));
        }
        var f = ops.Split(Emit(ops, network, "final_layer.adaLN_modulation", c), 2, 1);
        string output = Emit(ops, network, "final_layer.linear", Modulate3(ops, ops.Norm(x, unit, AdaLnModulation.NormEps), f[0], f[1], one));  // [B, G, 2]
        return (ops.Gather(output, ops.Int64("index_eps", 0), 2), ops.Gather(output, ops.Int64("index_v", 1), 2));
    }

    private static string Attention(OnnxGraphOps ops, Module block, string prefix, string x, long hidden, int heads)
    {
        long d = hidden / heads;
        string qkv = Emit(ops, block, "attn.qkv", x, prefix);                                          // [B, N, 3H]
        qkv = ops.Transpose(ops.Reshape(qkv, 0, 0, 3, heads, d), 2, 0, 3, 1, 4);                       // [3, B, h, N, d]
        var parts = ops.Split(qkv, 3, 0);
        string q = ops.Mul(ops.Squeeze(parts[0], 0), ops.Scalar("attn_scale", 1.0 / Math.Sqrt(d)));
        string k = ops.Squeeze(parts[1], 0);
        string v = ops.Squeeze(parts[2], 0);
        string weights = ops.Graph.AddNode("Softmax", [ops.Node("MatMul", q, ops.Transpose(k, 0, 1, 3, 2))],
            MlNetStem.Onnx.Writer.OnnxAttribute.Int("axis", -1));
        string o = ops.Reshape(ops.Transpose(ops.Node("MatMul", weights, v), 0, 2, 1, 3), 0, 0, hidden);  // [B, N, H]
        return Emit(ops, block, "attn.proj", o, prefix);
    }

    private static (string, string) ResidualMlp(OnnxGraphOps ops, Module network, string noisy, string c)
    {
        var xEmbedder = (Linear)Child(network, "x_embedder");
        long width = xEmbedder.OutFeatures;
        string unit = ops.Floats("norm.unit_scale", Enumerable.Repeat(1f, (int)width).ToArray(), width);
        string one = ops.Scalar("one", 1);
        string h = Emit(ops, network, "x_embedder", noisy);                                             // [B, W]
        foreach (var (name, block) in Child(network, "blocks").NamedChildren())
        {
            string prefix = $"blocks.{name}";
            var m = ops.Split(Emit(ops, block, "adaLN_modulation", c, prefix), 3, 1);
            string u = Modulate2(ops, ops.Norm(h, unit, AdaLnModulation.NormEps), m[0], m[1], one);
            string mlp = Emit(ops, block, "mlp.fc2", Gelu(ops, Emit(ops, block, "mlp.fc1", u, prefix)), prefix);
            h = ops.Add(h, ops.Mul(m[2], mlp));
        }
        var f = ops.Split(Emit(ops, network, "final_layer.adaLN_modulation", c), 2, 1);
        string output = Emit(ops, network, "final_layer.linear", Modulate2(ops, ops.Norm(h, unit, AdaLnModulation.NormEps), f[0], f[1], one));  // [B, 2G]
        var halves = ops.Split(output, 2, 1);
        return (halves[0], halves[1]);
    }

    /// <summary>DiT's 256 sinusoidal features [cos(t·f), sin(t·f)] (frequencies computed by libtorch as in <see cref="TimestepEmbedder"/>), then its MLP.</summary>
    private static string TimestepEmbedding(OnnxGraphOps ops, Module embedder, string timesteps)
    {
        const int half = TimestepEmbedder.FrequencySize / 2;
        float[] frequencies;
        using (Tensor.NewScope())
            frequencies = (Tensor.Arange(0, half) * (-Math.Log(10000) / half)).Exp().ToFloatArray();
        string args = ops.Mul(ops.Unsqueeze(timesteps, 1), ops.Floats("t_embedder.frequencies", frequencies, 1, half));   // [B, 128]
        string features = ops.Graph.AddNode("Concat", [ops.Node("Cos", args), ops.Node("Sin", args)], MlNetStem.Onnx.Writer.OnnxAttribute.Int("axis", 1));
        return Emit(ops, embedder, "mlp", features, "t_embedder");
    }

    /// <summary><c>x·(scale + 1) + shift</c> with [B, W] shift/scale broadcast over the tokens of x [B, N, W].</summary>
    private static string Modulate3(OnnxGraphOps ops, string x, string shift, string scale, string one) =>
        ops.Add(ops.Mul(x, ops.Add(ops.Unsqueeze(scale, 1), one)), ops.Unsqueeze(shift, 1));

    private static string Modulate2(OnnxGraphOps ops, string x, string shift, string scale, string one) =>
        ops.Add(ops.Mul(x, ops.Add(scale, one)), shift);

    private static string Gelu(OnnxGraphOps ops, string x)
    {
        using var gelu = new Gelu(tanhApproximation: true);
        return gelu.EmitOnnx(ops.Graph, x, "mlp");
    }

    /// <summary>Emits the sub-module at <paramref name="path"/> below <paramref name="parent"/> (initializers named <c>prefix.path.*</c>).</summary>
    private static string Emit(OnnxGraphOps ops, Module parent, string path, string input, string prefix = "") =>
        OnnxExport.Emit(Child(parent, path), ops.Graph, input, OnnxExport.Join(prefix, path));

    private static Module Child(Module parent, string path)
    {
        var module = parent;
        foreach (var part in path.Split('.'))
            module = module.NamedChildren().FirstOrDefault(c => c.Key == part).Value
                ?? throw new InvalidOperationException($"ONNX export: the denoiser has no module '{path}' (state-dict layout changed?).");
        return module;
    }

    private static Tensor Parameter(Module module, string name) =>
        module.NamedParameters().FirstOrDefault(p => p.Key == name).Value
        ?? throw new InvalidOperationException($"ONNX export: the denoiser has no parameter '{name}'.");
}
