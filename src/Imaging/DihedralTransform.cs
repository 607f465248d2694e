namespace MlNetStem.Imaging;

/// <summary>
/// The 8 symmetries of a square patch (4 rotations, each with and without a horizontal flip),
/// as used by Stem's augmentation: view 0 is the patch itself, views 1–7 the other elements of
/// the dihedral group. Tissue has no preferred orientation, so every view is a valid sample.
/// </summary>
public static class DihedralTransform
{
    /// <summary>Number of views (the order of the dihedral group D4).</summary>
    public const int Views = 8;

    /// <summary>Writes view <paramref name="view"/> of a CHW patch into <paramref name="destination"/>.</summary>
    /// <param name="chw">Source patch, channels × size × size.</param>
    /// <param name="channels">Number of channels.</param>
    /// <param name="size">Side of the square patch.</param>
    /// <param name="view">0–7: rotation by <c>view % 4</c> quarter turns, after a horizontal flip when <c>view ≥ 4</c>.</param>
    /// <param name="destination">Same length as <paramref name="chw"/>.</param>
    /// <exception cref="ArgumentException">Lengths do not match or the view is out of range.</exception>
    public static void Apply(ReadOnlySpan<float> chw, int channels, int size, int view, Span<float> destination)
    {
        if (view is < 0 or >= Views) throw new ArgumentException($"Dihedral view must be 0–7, got {view}.", nameof(view));
        if (channels <= 0 || size <= 0 || chw.Length != channels * size * size || destination.Length != chw.Length)
            throw new ArgumentException($"Patch and destination must hold {channels}×{size}×{size} values.");
        int quarterTurns = view % 4;
        bool flip = view >= 4;
        int plane = size * size;
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            // Undo the rotations (each quarter turn counter-clockwise maps source (x, S-1-y) to (y, x)), then the flip.
            int sy = y, sx = x;
            for (int r = 0; r < quarterTurns; r++) (sy, sx) = (sx, size - 1 - sy);
            if (flip) sx = size - 1 - sx;
            for (int c = 0; c < channels; c++)
                destination[c * plane + y * size + x] = chw[c * plane + sy * size + sx];
        }
    }
}
