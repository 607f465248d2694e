namespace MlNetStem.Data;

/// <summary>A loaded HER2ST-style section: the spot table as a data view, plus what the join dropped.</summary>
/// <param name="Data">Columns Barcode, ArrayX, ArrayY, PixelX, PixelY, Image and (when present) Counts.</param>
/// <param name="MicronsPerPixel">Pixel size used for the image (given or estimated from the spot grid).</param>
/// <param name="Dropped">Human-readable notes on rows the join left out (never silent).</param>
public sealed record Her2stSection(InMemoryDataView Data, double MicronsPerPixel, IReadOnlyList<string> Dropped);
