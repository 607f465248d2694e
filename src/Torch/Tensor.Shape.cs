using MlNetStem.Torch.Interop;

namespace MlNetStem.Torch;

public sealed partial class Tensor
{
    private long[] ResolveShape(long[] shape, string name)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var inferred = -1;
        long known = 1;
        for (var i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (inferred >= 0) throw new ArgumentException($"{name}: shape {ShapeRules.Format(shape)} has more than one -1.", nameof(shape));
                inferred = i;
            }
            else if (shape[i] < 0)
            {
                throw new ArgumentException($"{name}: shape {ShapeRules.Format(shape)} has a negative size.", nameof(shape));
            }
            else
            {
                known *= shape[i];
            }
        }
        var numel = Numel;
        var ok = inferred >= 0 ? known != 0 && numel % known == 0 : known == numel;
        if (!ok)
            throw new ArgumentException(
                $"{name}: cannot view {ShapeRules.Format(Shape)} ({numel} elements) as {ShapeRules.Format(shape)}.", nameof(shape));
        return shape;
    }

    /// <summary>The same elements with a new shape (one size may be -1); copies only when needed.</summary>
    /// <exception cref="ArgumentException">The element counts differ.</exception>
    public Tensor Reshape(params long[] shape)
    {
        ResolveShape(shape, "Reshape");
        return Wrap(NativeMethods.mst_reshape(Handle, shape, shape.Length, 0, out var r), r, "reshape");
    }

    /// <summary>A view with a new shape sharing storage (one size may be -1).</summary>
    /// <exception cref="ArgumentException">The element counts differ.</exception>
    /// <exception cref="TorchException">The layout cannot be viewed without a copy (use <see cref="Reshape"/>).</exception>
    public Tensor View(params long[] shape)
    {
        ResolveShape(shape, "View");
        return Wrap(NativeMethods.mst_reshape(Handle, shape, shape.Length, 1, out var r), r, "view");
    }

    /// <summary>Reorders the dimensions.</summary>
    /// <exception cref="ArgumentException"><paramref name="dims"/> is not a permutation of the dimensions.</exception>
    public Tensor Permute(params long[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != Rank)
            throw new ArgumentException($"Permute: {dims.Length} dims given for a tensor of rank {Rank} (shape {ShapeRules.Format(Shape)}).", nameof(dims));
        var resolved = dims.Select(d => ShapeRules.Dim(d, Rank, "Permute", Shape, nameof(dims))).ToArray();
        if (resolved.Distinct().Count() != Rank)
            throw new ArgumentException($"Permute: [{string.Join(", ", dims)}] repeats a dimension.", nameof(dims));
        return Wrap(NativeMethods.mst_permute(Handle, resolved, resolved.Length, out var r), r, "permute");
    }

    /// <summary>Swaps two dimensions.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension does not exist.</exception>
    public Tensor Transpose(long dim0, long dim1)
    {
        var a = ShapeRules.Dim(dim0, Rank, "Transpose", Shape, nameof(dim0));
        var b = ShapeRules.Dim(dim1, Rank, "Transpose", Shape, nameof(dim1));
        return Wrap(NativeMethods.mst_transpose(Handle, a, b, out var r), r, "transpose");
    }

    /// <summary>Concatenates along <paramref name="dim"/>; all other sizes must match.</summary>
    /// <exception cref="ArgumentException">The list is empty, or ranks, sizes, dtypes or devices differ.</exception>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("Cat needs at least one tensor.", nameof(tensors));
        var first = tensors[0] ?? throw new ArgumentNullException(nameof(tensors), "Cat: tensor 0 is null.");
        var d = ShapeRules.Dim(dim, first.Rank, "Cat", first.Shape);
        for (var i = 1; i < tensors.Count; i++)
        {
            var t = tensors[i] ?? throw new ArgumentNullException(nameof(tensors), $"Cat: tensor {i} is null.");
            var ok = t.Rank == first.Rank;
            for (var k = 0; ok && k < first.Rank; k++) ok = k == d || t.Shape[k] == first.Shape[k];
            if (!ok)
                throw new ArgumentException(
                    $"Cat along dim {dim}: tensor {i} has shape {ShapeRules.Format(t.Shape)}, incompatible with tensor 0's {ShapeRules.Format(first.Shape)}.",
                    nameof(tensors));
            ShapeRules.SameDType(first, t, "Cat");
            ShapeRules.SameDevice(first, t, "Cat");
        }
        using var lease = new HandleLease();
        var handles = lease.AddAll(tensors);
        return Wrap(NativeMethods.mst_cat(handles, handles.Length, d, out var r), r, "cat");
    }

    /// <summary>The slice [start, start+length) of <paramref name="dim"/> (a view).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dimension or the range is out of bounds.</exception>
    public Tensor Narrow(long dim, long start, long length)
    {
        var d = ShapeRules.Dim(dim, Rank, "Narrow", Shape);
        var size = Shape[(int)d];
        if (start < 0 || length < 0 || start + length > size)
            throw new ArgumentOutOfRangeException(nameof(start),
                $"Narrow: range [{start}, {start + length}) is outside dim {dim} of size {size} (shape {ShapeRules.Format(Shape)}).");
        return Wrap(NativeMethods.mst_narrow(Handle, d, start, length, out var r), r, "narrow");
    }

    /// <summary>Splits into <paramref name="chunks"/> pieces along <paramref name="dim"/> (the last may be smaller), as torch.chunk.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunks"/> is below 1 or the dim does not exist.</exception>
    public Tensor[] Chunk(int chunks, long dim = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunks, 1);
        var d = ShapeRules.Dim(dim, Rank, "Chunk", Shape);
        var size = Shape[(int)d];
        var step = Math.Max(1, (size + chunks - 1) / chunks);
        var result = new List<Tensor>();
        for (long start = 0; start < size; start += step) result.Add(Narrow(d, start, Math.Min(step, size - start)));
        return result.ToArray();
    }

    /// <summary>Rows (or slices) of <paramref name="dim"/> picked by an Int64 index vector.</summary>
    /// <exception cref="ArgumentException">The index is not a 1-D Int64 tensor.</exception>
    public Tensor IndexSelect(long dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var d = ShapeRules.Dim(dim, Rank, "IndexSelect", Shape);
        if (index.DType != DType.Int64 || index.Rank > 1)
            throw new ArgumentException($"IndexSelect: index must be a 1-D Int64 tensor, got {index.DType} {ShapeRules.Format(index.Shape)}.", nameof(index));
        ShapeRules.SameDevice(this, index, "IndexSelect");
        return Wrap(NativeMethods.mst_index_select(Handle, d, index.Handle, out var r), r, "index_select");
    }

    /// <summary>torch.gather along <paramref name="dim"/> with an Int64 index of the same rank.</summary>
    /// <exception cref="ArgumentException">The index is not Int64 or its rank differs.</exception>
    public Tensor Gather(long dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var d = ShapeRules.Dim(dim, Rank, "Gather", Shape);
        if (index.DType != DType.Int64 || index.Rank != Rank)
            throw new ArgumentException($"Gather: index must be Int64 of rank {Rank}, got {index.DType} {ShapeRules.Format(index.Shape)}.", nameof(index));
        ShapeRules.SameDevice(this, index, "Gather");
        return Wrap(NativeMethods.mst_gather(Handle, d, index.Handle, out var r), r, "gather");
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/> (range -rank-1..rank).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The position does not exist.</exception>
    public Tensor Unsqueeze(long dim)
    {
        var r1 = Rank + 1;
        if (dim < -r1 || dim >= r1)
            throw new ArgumentOutOfRangeException(nameof(dim), dim,
                $"Unsqueeze: dim {dim} is out of range for a tensor of rank {Rank} (shape {ShapeRules.Format(Shape)}); valid dims are {-r1}..{r1 - 1}.");
        var d = dim < 0 ? dim + r1 : dim;
        return Wrap(NativeMethods.mst_unsqueeze(Handle, d, out var r), r, "unsqueeze");
    }

    /// <summary>Removes dimension <paramref name="dim"/> when its size is 1 (otherwise returns a same-shaped view, as torch).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dimension does not exist.</exception>
    public Tensor Squeeze(long dim)
    {
        var d = ShapeRules.Dim(dim, Rank, "Squeeze", Shape);
        return Wrap(NativeMethods.mst_squeeze(Handle, d, out var r), r, "squeeze");
    }

    /// <summary>Broadcasts size-1 dimensions to <paramref name="shape"/> without copying (-1 keeps a size).</summary>
    /// <exception cref="ArgumentException">The shape is not a valid expansion.</exception>
    public Tensor Expand(params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var ok = shape.Length >= Rank;
        for (var i = 0; ok && i < Rank; i++)
        {
            var own = Shape[Rank - 1 - i];
            var want = shape[shape.Length - 1 - i];
            ok = want == -1 || own == want || own == 1;
        }
        if (!ok) throw new ArgumentException($"Expand: cannot expand {ShapeRules.Format(Shape)} to {ShapeRules.Format(shape)}.", nameof(shape));
        return Wrap(NativeMethods.mst_expand(Handle, shape, shape.Length, out var r), r, "expand");
    }

    /// <summary>A tensor with the same values that is not part of the autograd graph (shares storage).</summary>
    public Tensor Detach() => Unary(NativeOp.Detach, "detach", needsFloat: false);

    /// <summary>A copy with its own storage (differentiable).</summary>
    public Tensor Clone() => Unary(NativeOp.Clone, "clone", needsFloat: false);

    /// <summary>A row-major contiguous tensor (this one's data when already contiguous).</summary>
    public Tensor Contiguous() => Unary(NativeOp.Contiguous, "contiguous", needsFloat: false);
}
