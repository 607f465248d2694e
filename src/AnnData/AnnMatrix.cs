namespace MlNetStem.AnnData;

/// <summary>A cells × genes matrix (X or a layer), dense or sparse, with float32 values.</summary>
public abstract class AnnMatrix
{
    private protected AnnMatrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Number of rows (observations, cells/spots).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (variables, genes).</summary>
    public int Columns { get; }

    /// <summary>How the matrix is stored.</summary>
    public abstract MatrixLayout Layout { get; }

    /// <summary>Value at (<paramref name="row"/>, <paramref name="column"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Index outside the matrix.</exception>
    public abstract float this[int row, int column] { get; }

    /// <summary>The whole matrix as a dense array (allocates rows × columns floats).</summary>
    public abstract float[,] ToDense();

    private protected void CheckIndex(int row, int column)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), $"Row {row} outside [0, {Rows}).");
        if ((uint)column >= (uint)Columns) throw new ArgumentOutOfRangeException(nameof(column), $"Column {column} outside [0, {Columns}).");
    }
}
