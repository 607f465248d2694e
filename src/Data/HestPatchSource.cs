using MlNetStem.Hdf5;

namespace MlNetStem.Data;

/// <summary>
/// HEST-1k pre-extracted patches (<c>patches/&lt;id&gt;.h5</c>: <c>img</c> [N, H, W, 3] uint8, <c>coords</c> [N, 2],
/// <c>barcode</c> [N] or [N, 1] strings) as a lazy data view with columns <see cref="SpotColumns.Barcode"/>,
/// <see cref="SpotColumns.PixelX"/>, <see cref="SpotColumns.PixelY"/> (the <c>coords</c> as stored, level-0 pixels)
/// and <see cref="PatchColumn"/> (float [3, H, W] in [0, 1], the layout LoadPatches produces).
/// An alternative patch source to cutting patches from the whole-slide image.
/// </summary>
/// <remarks>Only requested columns are read; patch pixels are read per batch, never all at once.</remarks>
public sealed class HestPatchSource : BatchDataView
{
    /// <summary>Name of the patch column.</summary>
    public const string PatchColumn = "Patch";

    private readonly string[] _barcodes;
    private readonly double[] _x;
    private readonly double[] _y;

    private HestPatchSource(string path, string[] barcodes, double[] x, double[] y, int height, int width)
    {
        FilePath = path;
        _barcodes = barcodes;
        _x = x;
        _y = y;
        PatchHeight = height;
        PatchWidth = width;
        Schema = SchemaExtensions.Create(
        [
            SchemaColumns.Create(SpotColumns.Barcode, ColumnTypes.Text),
            SchemaColumns.Create(SpotColumns.PixelX, ColumnTypes.Float64),
            SchemaColumns.Create(SpotColumns.PixelY, ColumnTypes.Float64),
            SchemaColumns.Create(PatchColumn, ColumnTypes.FloatTensor(3, height, width)),
        ]);
    }

    /// <summary>The patch file.</summary>
    public string FilePath { get; }

    /// <summary>Patch height in pixels.</summary>
    public int PatchHeight { get; }

    /// <summary>Patch width in pixels.</summary>
    public int PatchWidth { get; }

    /// <summary>Barcodes, in file order.</summary>
    public IReadOnlyList<string> Barcodes => _barcodes;

    /// <inheritdoc />
    public override DataViewSchema Schema { get; }

    /// <inheritdoc />
    public override long? GetRowCount() => _barcodes.Length;

    /// <summary>Patches decoded together when a Microsoft.ML row cursor reads the view (bounds the memory a cursor holds).</summary>
    protected override int CursorBatchSize => 64;

    /// <summary>Opens a patch file and checks its datasets (reads barcodes and coordinates, not pixels).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not HDF5 or truncated, a dataset missing, or shapes that disagree.</exception>
    public static HestPatchSource Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"HEST patch file '{path}' does not exist.", path);
        string full = Path.GetFullPath(path);
        Hdf5File file;
        try
        {
            file = Hdf5File.Open(full);
        }
        catch (Hdf5Exception ex)
        {
            throw new InvalidDataException($"{path}: cannot be read as a HEST patch file (truncated or not HDF5): {ex.Message}", ex);
        }
        using (file)
        {
            try
            {
                var missing = new[] { "img", "coords", "barcode" }.Where(n => !file.Exists(n)).ToArray();
                if (missing.Length > 0)
                    throw new InvalidDataException($"{path}: lacks dataset(s) {string.Join(", ", missing)} (a HEST patch file has img, coords, barcode).");
                using var img = file.OpenDataset("img");
                using var coords = file.OpenDataset("coords");
                using var barcode = file.OpenDataset("barcode");
                if (img.Rank != 4 || img.Shape[3] != 3 || img.ElementType != Hdf5ElementType.UInt8)
                    throw new InvalidDataException($"{path}: img is a rank-{img.Rank} {img.ElementType} array [{string.Join(", ", img.Shape)}]; expected uint8 [N, H, W, 3].");
                long n = img.Shape[0];
                if (coords.Rank != 2 || coords.Shape[0] != n || coords.Shape[1] != 2)
                    throw new InvalidDataException($"{path}: coords is [{string.Join(", ", coords.Shape)}]; expected [{n}, 2].");
                string[] barcodes = barcode.ReadStrings();
                if (barcodes.Length != n)
                    throw new InvalidDataException($"{path}: {barcodes.Length} barcodes for {n} patches.");
                double[] xy = coords.Read<double>();
                var x = new double[n];
                var y = new double[n];
                for (long i = 0; i < n; i++) { x[i] = xy[2 * i]; y[i] = xy[2 * i + 1]; }
                return new HestPatchSource(full, barcodes, x, y, checked((int)img.Shape[1]), checked((int)img.Shape[2]));
            }
            catch (Hdf5Exception ex)
            {
                throw new InvalidDataException($"{path}: damaged HEST patch file: {ex.Message}", ex);
            }
        }
    }

    /// <inheritdoc />
    public override IEnumerable<DataBatch> ReadBatches(IReadOnlyCollection<string> columns, int batchSize = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        foreach (var name in columns) _ = Schema.Get(name);
        return Enumerate(columns.ToArray(), batchSize);
    }

    private IEnumerable<DataBatch> Enumerate(string[] columns, int batchSize)
    {
        bool wantsPatch = columns.Contains(PatchColumn);
        using Hdf5File? file = wantsPatch ? Hdf5File.Open(FilePath) : null;
        using Hdf5Dataset? img = file?.OpenDataset("img");
        int n = _barcodes.Length, plane = PatchHeight * PatchWidth;
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            var arrays = new Dictionary<string, Array>(StringComparer.Ordinal);
            foreach (string c in columns)
            {
                arrays[c] = c switch
                {
                    SpotColumns.Barcode => _barcodes[start..(start + count)],
                    SpotColumns.PixelX => _x[start..(start + count)],
                    SpotColumns.PixelY => _y[start..(start + count)],
                    _ => ToChw(img!.ReadRows<byte>(start, count), count, plane),
                };
            }
            yield return new DataBatch(Schema, count, arrays);
        }
    }

    // HWC bytes → CHW floats in [0, 1], the layout of LoadPatches.
    private static float[] ToChw(byte[] hwc, int count, int plane)
    {
        const float scale = 1f / 255f;
        var result = new float[(long)count * 3 * plane];
        for (int p = 0; p < count; p++)
        {
            long src = (long)p * plane * 3, dst = (long)p * plane * 3;
            for (int i = 0; i < plane; i++)
            {
                result[dst + i] = hwc[src + 3 * i] * scale;
                result[dst + plane + i] = hwc[src + 3 * i + 1] * scale;
                result[dst + 2 * plane + i] = hwc[src + 3 * i + 2] * scale;
            }
        }
        return result;
    }
}
