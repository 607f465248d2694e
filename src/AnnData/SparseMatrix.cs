namespace MlNetStem.AnnData;

/// <summary>
/// A CSR or CSC float32 matrix in the scipy layout: for CSR, row r's entries are
/// <c>Data[IndPtr[r]..IndPtr[r+1]]</c> at columns <c>Indices[...]</c>; CSC swaps rows and columns.
/// </summary>
public sealed class SparseMatrix : AnnMatrix
{
    /// <summary>Wraps the arrays (not copied) after checking their structure.</summary>
    /// <exception cref="ArgumentException">Layout is Dense, or the arrays are inconsistent (lengths, order, indices out of range).</exception>
    public SparseMatrix(MatrixLayout layout, int rows, int columns, float[] data, int[] indices, long[] indPtr) : base(rows, columns)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(indPtr);
        if (layout == MatrixLayout.Dense) throw new ArgumentException("A sparse matrix is Csr or Csc.", nameof(layout));
        Layout = layout;
        int major = layout == MatrixLayout.Csr ? rows : columns;
        int minor = layout == MatrixLayout.Csr ? columns : rows;
        if (indPtr.Length != major + 1)
            throw new ArgumentException($"indptr must have {major + 1} entries for {layout} {rows} x {columns}, got {indPtr.Length}.", nameof(indPtr));
        if (data.Length != indices.Length)
            throw new ArgumentException($"data ({data.Length}) and indices ({indices.Length}) differ in length.", nameof(indices));
        if (indPtr[0] != 0 || indPtr[^1] != data.Length)
            throw new ArgumentException($"indptr must start at 0 and end at nnz = {data.Length}; it spans [{indPtr[0]}, {indPtr[^1]}].", nameof(indPtr));
        for (int i = 0; i < major; i++)
            if (indPtr[i + 1] < indPtr[i]) throw new ArgumentException($"indptr decreases at {i}.", nameof(indPtr));
        foreach (int index in indices)
            if ((uint)index >= (uint)minor) throw new ArgumentException($"Index {index} outside [0, {minor}).", nameof(indices));
        Data = data;
        Indices = indices;
        IndPtr = indPtr;
    }

    /// <inheritdoc/>
    public override MatrixLayout Layout { get; }

    /// <summary>Non-zero values.</summary>
    public float[] Data { get; }

    /// <summary>Minor index (column for CSR, row for CSC) of each value.</summary>
    public int[] Indices { get; }

    /// <summary>Start of each major slice (row for CSR, column for CSC) in Data; length major + 1.</summary>
    public long[] IndPtr { get; }

    /// <summary>Number of stored values.</summary>
    public long NonZeroCount => Data.LongLength;

    /// <summary>Builds a sparse matrix holding the non-zero entries of <paramref name="dense"/>.</summary>
    public static SparseMatrix FromDense(float[,] dense, MatrixLayout layout = MatrixLayout.Csr)
    {
        ArgumentNullException.ThrowIfNull(dense);
        int rows = dense.GetLength(0), cols = dense.GetLength(1);
        bool csr = layout == MatrixLayout.Csr;
        int major = csr ? rows : cols, minor = csr ? cols : rows;
        var data = new List<float>();
        var indices = new List<int>();
        var ptr = new long[major + 1];
        for (int a = 0; a < major; a++)
        {
            for (int b = 0; b < minor; b++)
            {
                float v = csr ? dense[a, b] : dense[b, a];
                if (v != 0) { data.Add(v); indices.Add(b); }
            }
            ptr[a + 1] = data.Count;
        }
        return new SparseMatrix(layout, rows, cols, data.ToArray(), indices.ToArray(), ptr);
    }

    /// <inheritdoc/>
    public override float this[int row, int column]
    {
        get
        {
            CheckIndex(row, column);
            (int major, int minor) = Layout == MatrixLayout.Csr ? (row, column) : (column, row);
            for (long i = IndPtr[major]; i < IndPtr[major + 1]; i++)
                if (Indices[i] == minor) return Data[i];
            return 0f;
        }
    }

    /// <inheritdoc/>
    public override float[,] ToDense()
    {
        var result = new float[Rows, Columns];
        bool csr = Layout == MatrixLayout.Csr;
        for (int a = 0; a < IndPtr.Length - 1; a++)
            for (long i = IndPtr[a]; i < IndPtr[a + 1]; i++)
            {
                if (csr) result[a, Indices[i]] += Data[i];
                else result[Indices[i], a] += Data[i];
            }
        return result;
    }
}
