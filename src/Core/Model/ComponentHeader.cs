namespace MlNetStem.Model;

/// <summary>What every component entry in an archive records about itself.</summary>
/// <param name="Kind">Component name (see <see cref="ModelComponentAttribute"/>).</param>
/// <param name="Version">Format version it was written with.</param>
/// <param name="MinReaderVersion">Oldest reader version able to read it.</param>
public sealed record ComponentHeader(string Kind, int Version, int MinReaderVersion);
