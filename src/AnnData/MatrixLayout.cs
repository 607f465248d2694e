namespace MlNetStem.AnnData;

/// <summary>How a matrix (X or a layer) is stored.</summary>
public enum MatrixLayout
{
    /// <summary>Dense row-major array (encoding-type "array").</summary>
    Dense,
    /// <summary>Compressed sparse rows (encoding-type "csr_matrix"): fast row (cell) access.</summary>
    Csr,
    /// <summary>Compressed sparse columns (encoding-type "csc_matrix"): fast column (gene) access.</summary>
    Csc,
}
