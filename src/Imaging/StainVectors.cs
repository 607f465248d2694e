namespace MlNetStem.Imaging;

/// <summary>
/// Ruifrok–Johnston colour deconvolution of H&amp;E (Anal. Quant. Cytol. Histol. 23:291, 2001): optical densities
/// OD = −log10(I / I₀) per R, G, B are a mix of stain vectors; the inverse of the stain matrix gives each stain's amount.
/// </summary>
public static class StainVectors
{
    /// <summary>Haematoxylin's optical-density direction (R, G, B), the published H&amp;E vector, unit length.</summary>
    public static IReadOnlyList<double> Haematoxylin { get; } = Normalize([0.644211, 0.716556, 0.266844]);

    /// <summary>Eosin's optical-density direction (R, G, B), the published H&amp;E vector, unit length.</summary>
    public static IReadOnlyList<double> Eosin { get; } = Normalize([0.092789, 0.954111, 0.283111]);

    /// <summary>The third direction, orthogonal to both stains (what neither explains).</summary>
    public static IReadOnlyList<double> Residual { get; } = Normalize(Cross(Haematoxylin, Eosin));

    /// <summary>
    /// Coefficients (for R, G, B optical densities) whose weighted sum is the haematoxylin amount: the first column of
    /// the inverse of the stain matrix whose rows are <see cref="Haematoxylin"/>, <see cref="Eosin"/>, <see cref="Residual"/>.
    /// </summary>
    public static IReadOnlyList<double> HaematoxylinFromOpticalDensity { get; } = InverseColumn(0);

    /// <summary>Optical density of an 8-bit intensity: −log10((v + 1) / 256), 0 for white.</summary>
    public static double OpticalDensity(int value) => -Math.Log10((value + 1) / 256.0);

    private static double[] InverseColumn(int column)
    {
        double[,] m =
        {
            { Haematoxylin[0], Haematoxylin[1], Haematoxylin[2] },
            { Eosin[0], Eosin[1], Eosin[2] },
            { Residual[0], Residual[1], Residual[2] },
        };
        double det = m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
                   - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
                   + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]);
        // Column j of the inverse is row j of the cofactor matrix divided by the determinant (adjugate = cofactorᵀ).
        var result = new double[3];
        for (int i = 0; i < 3; i++)
        {
            int r1 = column == 0 ? 1 : 0, r2 = column == 2 ? 1 : 2;
            int c1 = i == 0 ? 1 : 0, c2 = i == 2 ? 1 : 2;
            double minor = m[r1, c1] * m[r2, c2] - m[r1, c2] * m[r2, c1];
            result[i] = ((i + column) % 2 == 0 ? 1 : -1) * minor / det;
        }
        return result;
    }

    private static double[] Cross(IReadOnlyList<double> a, IReadOnlyList<double> b) =>
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

    private static double[] Normalize(double[] v)
    {
        double length = Math.Sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        return [v[0] / length, v[1] / length, v[2] / length];
    }
}
