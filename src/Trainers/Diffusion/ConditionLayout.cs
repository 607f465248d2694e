using MlNetStem.Data;
using MlNetStem.Trainers.Mlp;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>
/// How a spot's condition is laid out for the denoiser. Stem: the embedding alone, <c>[D]</c>. HisDiff: one flat row
/// <c>[own D | context₁ k₁·D | … | mask₁ k₁ | …]</c>: the spot's embedding, then each context set's embeddings (nearest
/// first), then each set's 1/0 mask. One flat row keeps every sampler, worker split and the ONNX loop unchanged: only the
/// condition network (<see cref="ContextFusion"/>) knows the parts.
/// </summary>
internal sealed class ConditionLayout
{
    public ConditionLayout(int embedding, IReadOnlyList<int> contextSizes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embedding, 1);
        if (contextSizes.Any(k => k < 1)) throw new ArgumentException($"Context sets must hold at least one spot, got [{string.Join(", ", contextSizes)}].");
        Embedding = embedding;
        ContextSizes = contextSizes.ToArray();
        long width = checked((long)embedding * (1 + ContextSizes.Sum()) + ContextSizes.Sum());
        if (width > Array.MaxLength / 64) throw new ArgumentException($"A condition of {width} values per spot is too wide.");
        Width = (int)width;
    }

    /// <summary>Embedding width D.</summary>
    public int Embedding { get; }

    /// <summary>k of each context set (empty for Stem).</summary>
    public int[] ContextSizes { get; }

    /// <summary>Values per condition row.</summary>
    public int Width { get; }

    /// <summary>Whether the condition carries context sets (HisDiff).</summary>
    public bool HasContext => ContextSizes.Length > 0;

    /// <summary>Offset of context set <paramref name="set"/>'s embeddings in a row.</summary>
    public int ContextOffset(int set) => Embedding * (1 + ContextSizes.Take(set).Sum());

    /// <summary>Offset of context set <paramref name="set"/>'s mask in a row.</summary>
    public int MaskOffset(int set) => Embedding * (1 + ContextSizes.Sum()) + ContextSizes.Take(set).Sum();

    /// <summary>
    /// The condition standardization: the embedding's training statistics for the spot's own embedding and for every
    /// context slot (they are embeddings of the same kind), identity for the masks, which stay 0/1.
    /// </summary>
    public Standardization Tile(Standardization embedding)
    {
        if (embedding.Width != Embedding) throw new ArgumentException($"Embedding statistics of width {embedding.Width}, expected {Embedding}.");
        if (!HasContext) return embedding;
        int slots = 1 + ContextSizes.Sum(), masks = ContextSizes.Sum();
        var mean = new float[Width];
        var std = new float[Width];
        for (int s = 0; s < slots; s++)
        {
            embedding.Mean.CopyTo(mean, s * Embedding);
            embedding.Std.CopyTo(std, s * Embedding);
        }
        Array.Fill(std, 1f, slots * Embedding, masks);
        return new Standardization(mean, std);
    }

    /// <summary>
    /// Assembles rows from the column values read for <paramref name="rows"/> spots: <paramref name="own"/> [rows, D] and, per
    /// context set, its embeddings [rows, k, D] and mask [rows, k].
    /// </summary>
    /// <exception cref="InvalidDataException">A column holds the wrong number of values, a mask value is not 0 or 1, or an
    /// embedding value is NaN or infinite.</exception>
    public float[] Assemble(int rows, ReadOnlySpan<float> own, IReadOnlyList<float[]> contexts, IReadOnlyList<float[]> masks, IReadOnlyList<string> names, long firstRow)
    {
        if (own.Length != (long)rows * Embedding) throw new InvalidDataException($"{own.Length} embedding values for {rows} rows of {Embedding}.");
        var result = new float[(long)rows * Width];
        for (int r = 0; r < rows; r++)
        {
            var row = result.AsSpan(r * Width, Width);
            own.Slice(r * Embedding, Embedding).CopyTo(row);
            for (int set = 0; set < ContextSizes.Length; set++)
            {
                int k = ContextSizes[set];
                if (contexts[set].Length != (long)rows * k * Embedding || masks[set].Length != (long)rows * k)
                    throw new InvalidDataException($"Context column '{names[set]}' holds {contexts[set].Length} values and its mask {masks[set].Length} for {rows} rows of {k} × {Embedding}.");
                contexts[set].AsSpan(r * k * Embedding, k * Embedding).CopyTo(row.Slice(ContextOffset(set)));
                var mask = masks[set].AsSpan(r * k, k);
                for (int j = 0; j < k; j++)
                    if (mask[j] is not (0f or 1f))
                        throw new InvalidDataException($"Context mask '{names[set]}Mask' of row {firstRow + r} holds {mask[j]} at {j}; masks are 0 or 1.");
                mask.CopyTo(row.Slice(MaskOffset(set)));
            }
            for (int j = 0; j < Width; j++)
                if (!float.IsFinite(row[j]))
                    throw new InvalidDataException($"Condition value {j} of row {firstRow + r} is {row[j]} (NaN or infinite).");
        }
        return result;
    }

    /// <summary>The context set columns' values and masks of one batch, in <paramref name="names"/> order.</summary>
    public static (float[][] Contexts, float[][] Masks) Read(DataBatch batch, IReadOnlyList<string> names) =>
        (names.Select(batch.GetFloats).ToArray(), names.Select(n => batch.GetFloats(MaskColumn(n))).ToArray());

    /// <summary>The mask column next to context column <paramref name="context"/> (as <c>NeighbourContext</c> writes it).</summary>
    public static string MaskColumn(string context) => context + "Mask";
}
