namespace MlNetStem.Hdf5;

/// <summary>What a link in a group points to.</summary>
public enum Hdf5ObjectKind
{
    /// <summary>Nothing exists at the path.</summary>
    None,
    /// <summary>A group.</summary>
    Group,
    /// <summary>A dataset.</summary>
    Dataset,
    /// <summary>Something else (a named datatype).</summary>
    Other,
}
