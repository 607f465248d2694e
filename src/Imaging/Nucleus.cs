namespace MlNetStem.Imaging;

/// <summary>One detected nucleus.</summary>
/// <param name="X">Centroid x in level-0 (full-resolution) pixels of the slide; pixel i's centre is i.</param>
/// <param name="Y">Centroid y in level-0 pixels.</param>
/// <param name="AreaMicrons2">Area in square micrometres.</param>
/// <param name="DiameterMicrons">Equivalent diameter (of a disc of the same area) in micrometres.</param>
/// <param name="MeanHaematoxylin">Mean haematoxylin optical density over the nucleus (colour deconvolution, unsmoothed).</param>
/// <param name="SpotIndex">Index of the spot whose disk holds the centroid; -1 for none.</param>
public readonly record struct Nucleus(double X, double Y, double AreaMicrons2, double DiameterMicrons, double MeanHaematoxylin, int SpotIndex = -1);
