namespace MlNetStem.AnnData;

/// <summary>A dense row-major float32 matrix.</summary>
public sealed class DenseMatrix : AnnMatrix
{
    /// <summary>Wraps row-major <paramref name="values"/> (not copied).</summary>
    /// <exception cref="ArgumentException">values.Length differs from rows × columns.</exception>
    public DenseMatrix(int rows, int columns, float[] values) : base(rows, columns)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.LongLength != (long)rows * columns)
            throw new ArgumentException($"A {rows} x {columns} matrix needs {(long)rows * columns} values, got {values.LongLength}.", nameof(values));
        Values = values;
    }

    /// <summary>Copies a 2-D array.</summary>
    public DenseMatrix(float[,] values) : this(values.GetLength(0), values.GetLength(1), Flatten(values))
    {
    }

    /// <summary>Row-major values.</summary>
    public float[] Values { get; }

    /// <inheritdoc/>
    public override MatrixLayout Layout => MatrixLayout.Dense;

    /// <inheritdoc/>
    public override float this[int row, int column]
    {
        get
        {
            CheckIndex(row, column);
            return Values[(long)row * Columns + column];
        }
    }

    /// <inheritdoc/>
    public override float[,] ToDense()
    {
        var result = new float[Rows, Columns];
        Buffer.BlockCopy(Values, 0, result, 0, Values.Length * sizeof(float));
        return result;
    }

    private static float[] Flatten(float[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var flat = new float[values.Length];
        Buffer.BlockCopy(values, 0, flat, 0, flat.Length * sizeof(float));
        return flat;
    }
}
