namespace MlNetStem.Data;

/// <summary>
/// The kinds of Microsoft.ML column types that MlNetStem components read and write in batches
/// (see <see cref="ColumnTypes.KindOf"/>). Vectors of <see cref="float"/> are the only tensors.
/// </summary>
public enum ColumnKind
{
    /// <summary><see cref="Microsoft.ML.Data.NumberDataViewType.Single"/>.</summary>
    Float32,
    /// <summary><see cref="Microsoft.ML.Data.NumberDataViewType.Double"/>.</summary>
    Float64,
    /// <summary><see cref="Microsoft.ML.Data.NumberDataViewType.Int32"/>.</summary>
    Int32,
    /// <summary><see cref="Microsoft.ML.Data.NumberDataViewType.Int64"/>.</summary>
    Int64,
    /// <summary><see cref="Microsoft.ML.Data.BooleanDataViewType"/>.</summary>
    Boolean,
    /// <summary><see cref="Microsoft.ML.Data.TextDataViewType"/>.</summary>
    Text,
    /// <summary><see cref="SlideDataViewType"/>: a reference to an image or whole-slide file.</summary>
    Image,
    /// <summary>A <see cref="Microsoft.ML.Data.VectorDataViewType"/> of <see cref="float"/>, possibly multi-dimensional.</summary>
    FloatTensor,
    /// <summary>Any other Microsoft.ML type: passed through, never read in batches.</summary>
    Other,
}
