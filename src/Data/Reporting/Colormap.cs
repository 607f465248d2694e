namespace MlNetStem.Data.Reporting;

/// <summary>Perceptually uniform colour scales for maps (anchor colours of matplotlib's viridis and magma, linearly interpolated).</summary>
public sealed class Colormap
{
    private readonly (byte R, byte G, byte B)[] _anchors;

    private Colormap(string name, (byte, byte, byte)[] anchors)
    {
        Name = name;
        _anchors = anchors;
    }

    /// <summary>Expression: dark purple (low) to yellow (high).</summary>
    public static Colormap Viridis { get; } = new("viridis",
        [(68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141), (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37)]);

    /// <summary>Uncertainty: black (low) to pale yellow (high), so it is not mistaken for expression.</summary>
    public static Colormap Magma { get; } = new("magma",
        [(0, 0, 4), (28, 16, 68), (79, 18, 123), (129, 37, 129), (181, 54, 122), (229, 80, 100), (251, 135, 97), (254, 194, 135), (252, 253, 191)]);

    /// <summary>The scale's name.</summary>
    public string Name { get; }

    /// <summary>The colour at <paramref name="t"/> in [0, 1] (clamped; NaN gives grey).</summary>
    public (byte R, byte G, byte B) At(double t)
    {
        if (double.IsNaN(t)) return (160, 160, 160);
        t = Math.Clamp(t, 0, 1) * (_anchors.Length - 1);
        int i = Math.Min((int)t, _anchors.Length - 2);
        double f = t - i;
        var (a, b) = (_anchors[i], _anchors[i + 1]);
        return ((byte)(a.R + (b.R - a.R) * f + 0.5), (byte)(a.G + (b.G - a.G) * f + 0.5), (byte)(a.B + (b.B - a.B) * f + 0.5));
    }

    /// <summary>A CSS linear-gradient from low to high, for legends.</summary>
    public string CssGradient() =>
        "linear-gradient(to right, " + string.Join(", ", _anchors.Select(c => $"rgb({c.R},{c.G},{c.B})")) + ")";
}
