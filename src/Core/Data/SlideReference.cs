namespace MlNetStem.Data;

/// <summary>
/// A reference to an image or whole-slide file, carried in <see cref="ColumnKind.Image"/>
/// columns. Pixels are read lazily by the imaging layer, never held in the data view.
/// </summary>
/// <param name="Path">Full path of the image file.</param>
/// <param name="MicronsPerPixel">Physical pixel size at full resolution, when known.</param>
public sealed record SlideReference(string Path, double? MicronsPerPixel);
