namespace MlNetStem.Torch;

/// <summary>Argument checks done in C# so that bad input never reaches libtorch.</summary>
internal static class ShapeRules
{
    internal static string Format(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape) + "]";

    internal static long Numel(IReadOnlyList<long> shape)
    {
        long n = 1;
        foreach (var d in shape) n = checked(n * d);
        return n;
    }

    internal static void CheckShape(IReadOnlyList<long> shape, string paramName)
    {
        ArgumentNullException.ThrowIfNull(shape, paramName);
        for (var i = 0; i < shape.Count; i++)
            if (shape[i] < 0)
                throw new ArgumentException($"Shape {Format(shape)} has a negative size at dimension {i}.", paramName);
    }

    /// <summary>Resolves a possibly negative dimension against <paramref name="rank"/>.</summary>
    internal static long Dim(long dim, int rank, string operation, IReadOnlyList<long> shape, string paramName = "dim")
    {
        var r = Math.Max(rank, 1); // like torch, a scalar accepts dims 0 and -1
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(paramName, dim,
                $"{operation}: dim {dim} is out of range for a tensor of rank {rank} (shape {Format(shape)}); " +
                $"valid dims are {-r}..{r - 1}.");
        return dim < 0 ? dim + r : dim;
    }

    internal static long[] Broadcast(IReadOnlyList<long> a, IReadOnlyList<long> b, string operation)
    {
        var n = Math.Max(a.Count, b.Count);
        var result = new long[n];
        for (var i = 0; i < n; i++)
        {
            var da = i < n - a.Count ? 1 : a[i - (n - a.Count)];
            var db = i < n - b.Count ? 1 : b[i - (n - b.Count)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException(
                    $"{operation}: shapes {Format(a)} and {Format(b)} cannot be broadcast together " +
                    $"(dimension {i} of the broadcast result: {da} vs {db}).");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    internal static void SameDevice(Tensor a, Tensor b, string operation)
    {
        if (a.Device != b.Device)
            throw new ArgumentException($"{operation}: tensors are on different devices ({a.Device} and {b.Device}).");
    }

    internal static void SameDType(Tensor a, Tensor b, string operation)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"{operation}: dtypes differ ({a.DType} and {b.DType}); convert with To(DType) first.");
    }

    internal static void Floating(Tensor a, string operation)
    {
        if (a.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"{operation} needs a floating-point tensor, got {a.DType}.");
    }

    /// <summary>Checks torch.matmul's rules and returns its result shape.</summary>
    internal static long[] Matmul(IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        if (a.Count == 0 || b.Count == 0)
            throw new ArgumentException($"Matmul needs tensors of rank >= 1, got shapes {Format(a)} and {Format(b)}.");
        var k1 = a[^1];
        var k2 = b.Count == 1 ? b[0] : b[^2];
        if (k1 != k2)
            throw new ArgumentException(
                $"Matmul: inner dimensions differ: left {Format(a)} has {k1} columns, right {Format(b)} has {k2} rows.");
        var batchA = a.Count > 2 ? a.Take(a.Count - 2).ToArray() : [];
        var batchB = b.Count > 2 ? b.Take(b.Count - 2).ToArray() : [];
        var batch = Broadcast(batchA, batchB, $"Matmul batch dimensions of {Format(a)} and {Format(b)}");
        var result = new List<long>(batch);
        if (a.Count > 1) result.Add(a[^2]);
        if (b.Count > 1) result.Add(b[^1]);
        return result.ToArray();
    }
}
