namespace MlNetStem.Imaging;

/// <summary>One level of a slide's resolution pyramid.</summary>
/// <param name="Width">Width in this level's pixels.</param>
/// <param name="Height">Height in this level's pixels.</param>
/// <param name="Downsample">Level-0 pixels per pixel of this level (1 for level 0).</param>
public readonly record struct SlideLevel(int Width, int Height, double Downsample);
