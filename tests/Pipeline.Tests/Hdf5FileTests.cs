using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// The test classes that write and read HDF5 files (Visium .h5, .h5ad) run one after another, not in parallel: under
/// parallel runs a Visium fixture was occasionally read in an inconsistent state (2 failures in ~8 full runs, never
/// reproduced alone). The HDF5 binding serializes its own calls, so the suspect is the library's process-wide table of
/// open files; until that is pinned down, these classes share one collection.
/// </summary>
[CollectionDefinition(Name)]
public sealed class Hdf5FileTests
{
    /// <summary>The collection name.</summary>
    public const string Name = "HDF5 files";
}
