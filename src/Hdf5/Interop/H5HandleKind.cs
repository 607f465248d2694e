namespace MlNetStem.Hdf5.Interop;

/// <summary>Which H5?close releases an id.</summary>
internal enum H5HandleKind
{
    File,
    Group,
    Dataset,
    Dataspace,
    Datatype,
    Attribute,
    PropertyList,
    Object,
}
