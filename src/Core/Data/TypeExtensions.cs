using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetStem.Data;

/// <summary>
/// Read-only views of Microsoft.ML column types and columns in MlNetStem's terms: the kind of values,
/// values per row, tensor shape and gene names (the <c>SlotNames</c> annotation).
/// </summary>
public static class TypeExtensions
{
    extension(DataViewType type)
    {
        /// <summary>The kind of values, as MlNetStem reads them.</summary>
        public ColumnKind Kind => ColumnTypes.KindOf(type);

        /// <summary>Values per row: 1 for scalars, the vector size for vectors (0 when not known yet).</summary>
        public int Size => ColumnTypes.SizeOf(type);

        /// <summary>Tensor shape per row (empty for scalars and for vectors of unknown size).</summary>
        public IReadOnlyList<int> Dimensions => ColumnTypes.DimensionsOf(type);

        /// <summary>False only for a vector whose size is not known yet.</summary>
        public bool IsKnownSize => type is not VectorDataViewType { IsKnownSize: false };
    }

    extension(DataViewSchema.Column column)
    {
        /// <summary>The slot names (gene names) of the column, or null.</summary>
        public IReadOnlyList<string>? SlotNames => SchemaColumns.SlotNamesOf(column.Annotations);
    }

    extension(DataViewSchema.DetachedColumn column)
    {
        /// <summary>The slot names (gene names) of the column, or null.</summary>
        public IReadOnlyList<string>? SlotNames => SchemaColumns.SlotNamesOf(column.Annotations);
    }
}
