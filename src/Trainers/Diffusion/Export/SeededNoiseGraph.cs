using MlNetStem.Onnx;
using MlNetStem.Onnx.Writer;

namespace MlNetStem.Trainers.Diffusion.Export;

/// <summary>
/// Standard normal noise computed in the graph with exact integer arithmetic, so that a spot's noise depends only on the
/// seed, its own condition row and the value's place (noise slot, draw, gene) — not on the batch, the row order or what
/// the session ran before, as ONNX's RandomNormalLike does. Opset 17 has no bitwise operators, so everything is int64
/// Mul/Add/Mod modulo the prime P = 2³¹ − 1 with every operand below 2³¹: products stay below 2⁶², nothing overflows.
/// <list type="bullet">
/// <item>Row key: each condition value ×2¹⁶, clipped to ±2³⁰ and floored to an integer q_j (exact in float);
/// key = (Σ_j (q_j mod P)·w_j mod P + (seed mod P)·s) mod P, fixed weights w_j, s in [1, P). An integer sum is exact in
/// any order, so the key does not depend on the batch.</item>
/// <item>Values: the counter c = (d·G + j)·2 + i of draw d, gene j and uniform i ∈ {0, 1} goes through
/// <see cref="Rounds"/> rounds v ← (v + key + k·a_r + b_r)⁵ mod P for noise slot k (MiMC: x ↦ x⁵ permutes Z_P because
/// 5 does not divide P − 1, so a row's counters never collide), then u = (v + 1)·2⁻³¹ ∈ (0, 1] and Box–Muller:
/// z = √(−2 ln u₀)·cos(2π u₁).</item>
/// </list>
/// </summary>
internal sealed class SeededNoiseGraph
{
    /// <summary>The modulus, 2³¹ − 1 (prime).</summary>
    public const long Prime = int.MaxValue;

    /// <summary>Name of the scheme in the exported metadata ("noise"); change it with any change of the arithmetic.</summary>
    public const string SchemeName = "mimc5-p31-boxmuller-v1";

    private const int Rounds = 4;

    // Condition values are quantized at 2⁻¹⁶ and bounded so that the floored product is an exact float and a valid int64.
    private const float QuantizeScale = 65536f;
    private const float QuantizeLimit = 1 << 30;

    // Values of the main graph, which loop bodies read from the outer scope.
    private readonly string _key;       // [N, 1] int64 in [0, P)
    private readonly string _counter;   // [1, draws, genes, 2] int64
    private readonly string _prime;
    private readonly string _roundSlot;
    private readonly string _roundOffset;
    private readonly string[] _round;
    private readonly string _one;
    private readonly string _uniformScale;
    private readonly string _radiusIndex;
    private readonly string _angleIndex;
    private readonly string _minusTwo;
    private readonly string _twoPi;

    /// <summary>Emits the row keys and the shared constants into the main graph of <paramref name="ops"/>.</summary>
    /// <param name="ops">The main graph (loop bodies read these values from it).</param>
    /// <param name="condition">The raw condition row, float [N, <paramref name="width"/>].</param>
    /// <param name="width">Condition values per row.</param>
    /// <param name="seed">The seed, an int64 scalar.</param>
    /// <param name="draws">Independent draws per spot.</param>
    /// <param name="genes">Genes per draw.</param>
    /// <exception cref="ArgumentOutOfRangeException">A slot's draws × genes × 2 counters do not fit below P.</exception>
    public SeededNoiseGraph(OnnxGraphOps ops, string condition, int width, string seed, int draws, int genes)
    {
        long counters = 2L * draws * genes;
        if (counters >= Prime)
            throw new ArgumentOutOfRangeException(nameof(draws), draws, $"In-graph noise: {draws} draws × {genes} genes exceed {Prime / 2} values per noise slot.");
        _prime = ops.Int64("noise_prime", Prime);
        long Constant(int index, int stream) => (long)(SeedMixer.Mix(0x5eed, index, stream) % (ulong)(Prime - 1)) + 1;

        var graph = ops.Graph;
        string bounded = ops.Node("Clip", ops.Mul(condition, ops.Scalar("noise_quantize_scale", QuantizeScale)),
            ops.Scalar("noise_quantize_min", -QuantizeLimit), ops.Scalar("noise_quantize_max", QuantizeLimit));
        string quantized = ops.Cast(ops.Node("Floor", bounded), OnnxElementType.Int64);
        string weights = graph.AddInitializer("noise_condition_weights", Enumerable.Range(0, width).Select(j => Constant(j, 1)).ToArray(), width);
        string terms = Mod(ops, ops.Mul(Mod(ops, quantized), weights));
        string sum = graph.AddNode("ReduceSum", [terms, ops.Int64s("noise_key_axes", 1)], OnnxAttribute.Int("keepdims", 1));   // [N, 1]
        string seedTerm = Mod(ops, ops.Mul(Mod(ops, seed), ops.Int64("noise_seed_weight", Constant(0, 2))));
        _key = Mod(ops, ops.Add(Mod(ops, sum), seedTerm));

        _counter = ops.Reshape(graph.AddNode("Range", [ops.Int64("noise_counter_start", 0), ops.Int64("noise_counter_limit", counters),
            ops.Int64("noise_counter_delta", 1)]), 1, draws, genes, 2);
        _roundSlot = ops.Int64s("noise_round_slot", Enumerable.Range(0, Rounds).Select(r => Constant(r, 3)).ToArray());
        _roundOffset = ops.Int64s("noise_round_offset", Enumerable.Range(0, Rounds).Select(r => Constant(r, 4)).ToArray());
        _round = Enumerable.Range(0, Rounds).Select(r => ops.Int64("noise_round", r)).ToArray();
        _one = ops.Int64("noise_one", 1);
        _uniformScale = ops.Scalar("noise_uniform_scale", 1.0 / (1L << 31));
        _radiusIndex = ops.Int64("noise_radius", 0);
        _angleIndex = ops.Int64("noise_angle", 1);
        _minusTwo = ops.Scalar("noise_minus_two", -2);
        _twoPi = ops.Scalar("noise_two_pi", 2 * Math.PI);
    }

    /// <summary>Standard normals [N, draws, genes] of noise slot <paramref name="slot"/> (an int64 scalar) in the graph of
    /// <paramref name="ops"/> (the main graph or a loop body).</summary>
    public string Normals(OnnxGraphOps ops, string slot)
    {
        // Round r's key of every row: key + (slot·a_r mod P) + b_r, reduced mod P: [N, R] → [N, R, 1, 1, 1].
        string slotTerms = ops.Add(Mod(ops, ops.Mul(slot, _roundSlot)), _roundOffset);
        string keys = ops.Reshape(Mod(ops, ops.Add(_key, slotTerms)), -1, Rounds, 1, 1, 1);
        string v = _counter;
        for (int r = 0; r < Rounds; r++)
        {
            v = Mod(ops, ops.Add(v, ops.Gather(keys, _round[r], 1)));   // [N, D, G, 2]
            string square = Mod(ops, ops.Mul(v, v));
            v = Mod(ops, ops.Mul(Mod(ops, ops.Mul(square, square)), v));
        }
        // (v + 1)·2⁻³¹ is in (0, 1]: the logarithm stays finite.
        string uniform = ops.Mul(ops.Cast(ops.Add(v, _one), OnnxElementType.Float), _uniformScale);
        string radius = ops.Node("Sqrt", ops.Mul(ops.Node("Log", ops.Gather(uniform, _radiusIndex, 3)), _minusTwo));
        string angle = ops.Mul(ops.Gather(uniform, _angleIndex, 3), _twoPi);
        return ops.Mul(radius, ops.Node("Cos", angle));   // [N, D, G]
    }

    private string Mod(OnnxGraphOps ops, string x) => ops.Node("Mod", x, _prime);
}
