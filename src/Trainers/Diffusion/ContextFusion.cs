using System.Globalization;
using MlNetStem.Onnx.Writer;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;
using MlNetStem.Trainers.Diffusion.Export;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// HisDiff's condition network, in place of Stem's y_embedder: for each context set (the 9 nearest spots, the 49
/// nearest), multi-head attention with the spot's own embedding as the single query and the set as keys and values
/// (padded slots masked out); the sets' outputs are summed (no residual from the spot itself, as in HisDiff) and mapped
/// by Linear(D → D), ReLU, Linear(D → H) to the DiT's conditioning. Parameters: <c>attention.{s}.q/k/v</c> Linear(D → A),
/// <c>attention.{s}.out</c> Linear(A → D), <c>mlp.0</c>, <c>mlp.2</c>. It reads the flat rows of <see cref="ConditionLayout"/>.
/// </summary>
internal sealed class ContextFusion : TensorModule, IOnnxExportable
{
    /// <summary>Added to the attention logits of padded slots: far below any real logit, yet finite in float.</summary>
    private const float MaskedLogit = -1e4f;

    private readonly ConditionLayout _layout;
    private readonly int _heads;
    private readonly int _width;
    private readonly (Linear Q, Linear K, Linear V, Linear Out)[] _attention;
    private readonly Sequential _mlp;

    public ContextFusion(ConditionLayout layout, int heads, int attentionWidth, int hidden, Generator generator)
    {
        if (!layout.HasContext) throw new ArgumentException("HisDiff's context fusion needs at least one context set.", nameof(layout));
        if (heads < 1 || attentionWidth % heads != 0)
            throw new ArgumentException($"Context attention heads ({heads}) must divide its width ({attentionWidth}).", nameof(heads));
        _layout = layout;
        _heads = heads;
        _width = attentionWidth;
        long d = layout.Embedding;
        var attention = RegisterModule("attention", new ModuleGroup());
        _attention = new (Linear, Linear, Linear, Linear)[layout.ContextSizes.Length];
        for (int s = 0; s < _attention.Length; s++)
        {
            var set = attention.Add(s.ToString(CultureInfo.InvariantCulture), new ModuleGroup());
            _attention[s] = (set.Add("q", new Linear(d, attentionWidth, generator)), set.Add("k", new Linear(d, attentionWidth, generator)),
                set.Add("v", new Linear(d, attentionWidth, generator)), set.Add("out", new Linear(attentionWidth, d, generator)));
        }
        _mlp = RegisterModule("mlp", new Sequential(new Linear(d, d, generator), new Relu(), new Linear(d, hidden, generator)));
    }

    /// <param name="input">Condition rows [B, <see cref="ConditionLayout.Width"/>].</param>
    /// <returns>The conditioning [B, H].</returns>
    public override Tensor Forward(Tensor input)
    {
        long b = input.Shape[0], d = _layout.Embedding, a = _width / _heads;
        var own = input.Narrow(1, 0, d);
        Tensor? sum = null;
        for (int s = 0; s < _attention.Length; s++)
        {
            var (wq, wk, wv, wo) = _attention[s];
            int k = _layout.ContextSizes[s];
            var context = input.Narrow(1, _layout.ContextOffset(s), k * d).Reshape(b, k, d);
            var mask = input.Narrow(1, _layout.MaskOffset(s), k);
            var q = wq.Forward(own).Reshape(b, _heads, 1, a) * (1.0 / Math.Sqrt(a));              // [B, h, 1, a]
            var keys = wk.Forward(context).Reshape(b, k, _heads, a).Permute(0, 2, 3, 1);           // [B, h, a, k]
            var values = wv.Forward(context).Reshape(b, k, _heads, a).Transpose(1, 2);             // [B, h, k, a]
            var logits = q.Matmul(keys) + ((mask - 1.0) * -MaskedLogit).Reshape(b, 1, 1, k);      // [B, h, 1, k]
            var o = logits.Softmax(-1).Matmul(values).Reshape(b, _width);                          // [B, A]
            var fused = wo.Forward(o);
            sum = sum is null ? fused : sum + fused;
        }
        return _mlp.Forward(sum!);
    }

    /// <summary>Emits the same computation (Slice/Reshape/MatMul/Softmax); initializers are named <c>{prefix}.attention.{s}.*</c>, <c>{prefix}.mlp.*</c>.</summary>
    public string EmitOnnx(OnnxGraphBuilder graph, string input, string namePrefix)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var ops = new OnnxGraphOps(graph);
        long d = _layout.Embedding, a = _width / _heads;
        string Slice(int start, long length) => ops.Node("Slice", input, ops.Int64s("fusion_start", start), ops.Int64s("fusion_end", start + length), ops.Int64s("fusion_axis", 1));
        string Linear(Linear linear, string x, string name) => OnnxExport.Emit(linear, graph, x, OnnxExport.Join(namePrefix, name));
        string own = Slice(0, d);
        string? sum = null;
        for (int s = 0; s < _attention.Length; s++)
        {
            var (wq, wk, wv, wo) = _attention[s];
            int k = _layout.ContextSizes[s];
            string prefix = $"attention.{s}.";
            string context = ops.Reshape(Slice(_layout.ContextOffset(s), k * d), -1, k, d);
            string mask = Slice(_layout.MaskOffset(s), k);
            string q = ops.Mul(ops.Reshape(Linear(wq, own, prefix + "q"), -1, _heads, 1, a), ops.Scalar("fusion_scale", 1.0 / Math.Sqrt(a)));
            string keys = ops.Transpose(ops.Reshape(Linear(wk, context, prefix + "k"), -1, k, _heads, a), 0, 2, 3, 1);
            string values = ops.Transpose(ops.Reshape(Linear(wv, context, prefix + "v"), -1, k, _heads, a), 0, 2, 1, 3);
            string padding = ops.Reshape(ops.Mul(ops.Sub(mask, ops.Scalar("fusion_one", 1)), ops.Scalar("fusion_masked", -MaskedLogit)), -1, 1, 1, k);
            string logits = ops.Add(ops.Node("MatMul", q, keys), padding);
            string weights = graph.AddNode("Softmax", [logits], OnnxAttribute.Int("axis", -1));
            string o = ops.Reshape(ops.Node("MatMul", weights, values), -1, _width);
            string fused = Linear(wo, o, prefix + "out");
            sum = sum is null ? fused : ops.Add(sum, fused);
        }
        return OnnxExport.Emit(_mlp, graph, sum!, OnnxExport.Join(namePrefix, "mlp"));
    }
}
