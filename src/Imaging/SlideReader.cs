namespace MlNetStem.Imaging;

/// <summary>Which library <see cref="SlideOpener"/> reads a file with.</summary>
public enum SlideReader
{
    /// <summary>
    /// OpenSlide for vendor formats it recognises (SVS, NDPI, MRXS, ...); libvips for everything
    /// else, including generic tiled pyramidal TIFF, whose levels libvips reads as pages 2–4×
    /// faster per patch than OpenSlide 3.4 (bench/SlideBench).
    /// </summary>
    Auto,

    /// <summary>Always OpenSlide (fails for formats it does not recognise, such as JPEG/PNG).</summary>
    OpenSlide,

    /// <summary>Always libvips (vendor formats that are not plain TIFF pyramids need OpenSlide).</summary>
    Vips,
}
