using MlNetStem.Torch;
using MlNetStem.Torch.Nn;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// A DiT block with adaLN-Zero. Parameters: <c>attn.qkv</c> Linear(H → 3H), <c>attn.proj</c> Linear(H → H),
/// <c>mlp.fc1</c> Linear(H → r·H), <c>mlp.fc2</c> Linear(r·H → H), <c>adaLN_modulation.1</c> Linear(H → 6H).
/// x += gate_msa·Attn(mod(LN(x), shift_msa, scale_msa)); x += gate_mlp·MLP(mod(LN(x), shift_mlp, scale_mlp)),
/// LN without affine (eps 1e-6), MLP with tanh-GELU, attention softmax(q·kᵀ/√d)·v per head.
/// </summary>
internal sealed class DitBlock : Module
{
    private readonly int _hidden;
    private readonly int _heads;
    private readonly Linear _qkv;
    private readonly Linear _proj;
    private readonly Linear _fc1;
    private readonly Linear _fc2;
    private readonly Sequential _modulation;

    public DitBlock(int hidden, int heads, int mlpRatio, Generator generator)
    {
        _hidden = hidden;
        _heads = heads;
        var attn = RegisterModule("attn", new ModuleGroup());
        _qkv = attn.Add("qkv", ParameterInit.XavierUniform(new Linear(hidden, 3L * hidden, generator), generator));
        _proj = attn.Add("proj", ParameterInit.XavierUniform(new Linear(hidden, hidden, generator), generator));
        var mlp = RegisterModule("mlp", new ModuleGroup());
        _fc1 = mlp.Add("fc1", ParameterInit.XavierUniform(new Linear(hidden, (long)mlpRatio * hidden, generator), generator));
        _fc2 = mlp.Add("fc2", ParameterInit.XavierUniform(new Linear((long)mlpRatio * hidden, hidden, generator), generator));
        _modulation = RegisterModule("adaLN_modulation", AdaLnModulation.Create(hidden, hidden, 6, generator));
    }

    /// <param name="x">Tokens [B, N, H].</param>
    /// <param name="c">Conditioning [B, H].</param>
    public Tensor Forward(Tensor x, Tensor c)
    {
        var m = _modulation.Forward(c).Chunk(6, 1);
        var h = AdaLnModulation.Modulate(AdaLnModulation.Norm(x), m[0], m[1]);
        x = x + m[2].Unsqueeze(1) * Attention(h);
        h = AdaLnModulation.Modulate(AdaLnModulation.Norm(x), m[3], m[4]);
        return x + m[5].Unsqueeze(1) * _fc2.Forward(_fc1.Forward(h).Gelu(tanhApproximation: true));
    }

    private Tensor Attention(Tensor x)
    {
        long b = x.Shape[0], n = x.Shape[1];
        int d = _hidden / _heads;
        var qkv = _qkv.Forward(x).Reshape(b, n, 3, _heads, d).Permute(2, 0, 3, 1, 4);   // [3, B, h, N, d]
        var q = qkv.Narrow(0, 0, 1).Squeeze(0) * (1.0 / Math.Sqrt(d));
        var k = qkv.Narrow(0, 1, 1).Squeeze(0);
        var v = qkv.Narrow(0, 2, 1).Squeeze(0);
        var attention = q.Matmul(k.Transpose(-2, -1)).Softmax(-1);
        var o = attention.Matmul(v).Transpose(1, 2).Reshape(b, n, _hidden);
        return _proj.Forward(o);
    }
}
