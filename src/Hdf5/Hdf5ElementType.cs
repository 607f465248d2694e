namespace MlNetStem.Hdf5;

/// <summary>The element type of a dataset or attribute, as far as this binding distinguishes it.</summary>
public enum Hdf5ElementType
{
    /// <summary>A type this binding does not read (compound, reference, opaque...).</summary>
    Unsupported,
    /// <summary>Signed 8-bit integer.</summary>
    Int8,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8,
    /// <summary>Signed 16-bit integer.</summary>
    Int16,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16,
    /// <summary>Signed 32-bit integer.</summary>
    Int32,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32,
    /// <summary>Signed 64-bit integer.</summary>
    Int64,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64,
    /// <summary>32-bit float.</summary>
    Float32,
    /// <summary>64-bit float.</summary>
    Float64,
    /// <summary>Boolean stored as h5py does: an 8-bit enum {FALSE=0, TRUE=1}.</summary>
    Boolean,
    /// <summary>Other enum type.</summary>
    Enum,
    /// <summary>Fixed-length string.</summary>
    FixedString,
    /// <summary>Variable-length string.</summary>
    VariableString,
}
