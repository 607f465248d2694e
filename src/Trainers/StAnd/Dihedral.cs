namespace MlNetStem.Trainers.StAnd;

/// <summary>The 8 flips/transposes of a square crop, as pixel permutations, and the CHW → channels-last copy that applies one.</summary>
internal static class Dihedral
{
    /// <summary>For each of the 8 transforms, the source pixel of every destination pixel.</summary>
    public static int[][] Permutations(int size)
    {
        var result = new int[8][];
        for (int t = 0; t < 8; t++)
        {
            var perm = new int[size * size];
            for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int sy = y, sx = x;
                if ((t & 4) != 0) (sy, sx) = (sx, sy);
                if ((t & 1) != 0) sx = size - 1 - sx;
                if ((t & 2) != 0) sy = size - 1 - sy;
                perm[y * size + x] = sy * size + sx;
            }
            result[t] = perm;
        }
        return result;
    }

    /// <summary>Copies a CHW crop (3 channels) into channels-last <paramref name="destination"/>, permuted by <paramref name="permutation"/>.</summary>
    public static void ToChannelsLast(ReadOnlySpan<float> chw, int[] permutation, Span<float> destination)
    {
        int plane = permutation.Length;
        for (int p = 0; p < plane; p++)
        {
            int s = permutation[p];
            destination[p * 3] = chw[s];
            destination[p * 3 + 1] = chw[plane + s];
            destination[p * 3 + 2] = chw[2 * plane + s];
        }
    }
}
