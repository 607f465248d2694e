using System.Globalization;
using MlNetStem.Hdf5;

namespace MlNetStem.Data;

/// <summary>
/// A 10x feature-barcode matrix (features × barcodes, stored by barcode column), read from
/// <c>filtered_feature_bc_matrix.h5</c> or from the Matrix Market folder.
/// </summary>
internal sealed class FeatureBarcodeMatrix
{
    public required string Source { get; init; }
    public required string[] Barcodes { get; init; }
    public required string[] FeatureNames { get; init; }
    public required string[]? FeatureTypes { get; init; }
    /// <summary>Entries of barcode b are [ColumnStart[b], ColumnStart[b + 1]).</summary>
    public required long[] ColumnStart { get; init; }
    public required int[] FeatureIndex { get; init; }
    public required float[] Values { get; init; }

    /// <summary>Positions of the features whose type is "Gene Expression" (all when types are absent).</summary>
    public int[] GeneExpressionFeatures() => FeatureTypes is null
        ? Enumerable.Range(0, FeatureNames.Length).ToArray()
        : Enumerable.Range(0, FeatureNames.Length).Where(i => FeatureTypes[i] == "Gene Expression").ToArray();

    /// <summary>Dense barcodes × selected features (row-major) for <paramref name="barcodes"/>, features in <paramref name="features"/> order.</summary>
    public float[] Densify(IReadOnlyList<int> barcodes, IReadOnlyList<int> features)
    {
        var slot = new int[FeatureNames.Length];
        Array.Fill(slot, -1);
        for (int k = 0; k < features.Count; k++) slot[features[k]] = k;
        int width = features.Count;
        var result = new float[(long)barcodes.Count * width];
        for (int r = 0; r < barcodes.Count; r++)
        {
            int b = barcodes[r];
            for (long e = ColumnStart[b]; e < ColumnStart[b + 1]; e++)
            {
                int s = slot[FeatureIndex[e]];
                if (s >= 0) result[(long)r * width + s] += Values[e];
            }
        }
        return result;
    }

    /// <summary>Reads a Space Ranger / Cell Ranger ≥ 3 HDF5 matrix (group <c>matrix</c>).</summary>
    /// <exception cref="InvalidDataException">Not HDF5, truncated, a dataset missing, or inconsistent sizes.</exception>
    public static FeatureBarcodeMatrix ReadH5(string path)
    {
        Hdf5File file;
        try
        {
            file = Hdf5File.Open(path);
        }
        catch (Hdf5Exception ex)
        {
            throw new InvalidDataException($"{path}: cannot be read as a 10x HDF5 matrix (truncated or not HDF5): {ex.Message}", ex);
        }
        using (file)
        {
            try
            {
                if (!file.Exists("matrix"))
                    throw new InvalidDataException(
                        $"{path}: no 'matrix' group (top-level entries: {string.Join(", ", file.ChildNames())}); only the Cell Ranger ≥ 3 / Space Ranger feature-barcode format is supported.");
                using Hdf5Group m = file.OpenGroup("matrix");
                string[] need = ["barcodes", "data", "indices", "indptr", "shape", "features/name"];
                var missing = need.Where(n => !m.Exists(n)).ToArray();
                if (missing.Length > 0)
                    throw new InvalidDataException($"{path}: the matrix lacks dataset(s) {string.Join(", ", missing.Select(n => "matrix/" + n))}.");
                long[] shape = Read<long>(m, "shape");
                if (shape.Length != 2) throw new InvalidDataException($"{path}: matrix/shape has {shape.Length} values; expected 2 (features, barcodes).");
                string[] barcodes = Strings(m, "barcodes");
                string[] names = Strings(m, "features/name");
                string[]? types = m.Exists("features/feature_type") ? Strings(m, "features/feature_type") : null;
                if (barcodes.Length != shape[1] || names.Length != shape[0] || (types is not null && types.Length != names.Length))
                    throw new InvalidDataException(
                        $"{path}: matrix/shape says {shape[0]} features × {shape[1]} barcodes, but there are {names.Length} feature names and {barcodes.Length} barcodes.");
                long[] indptr = Read<long>(m, "indptr");
                long[] indices = Read<long>(m, "indices");
                float[] data = Read<float>(m, "data");
                var featureIndex = new int[indices.Length];
                for (long i = 0; i < indices.Length; i++) featureIndex[i] = (int)Math.Clamp(indices[i], -1, int.MaxValue);
                return Checked(path, barcodes, names, types, indptr, featureIndex, data);
            }
            catch (Hdf5Exception ex)
            {
                throw new InvalidDataException($"{path}: damaged or truncated 10x HDF5 matrix ({ex.ObjectPath}): {ex.Message}", ex);
            }
        }
    }

    /// <summary>Reads a Matrix Market folder: matrix.mtx(.gz), barcodes.tsv(.gz), features.tsv(.gz) or genes.tsv(.gz).</summary>
    /// <exception cref="FileNotFoundException">One of the three files is missing.</exception>
    /// <exception cref="InvalidDataException">Malformed or truncated files, or sizes that disagree.</exception>
    public static FeatureBarcodeMatrix ReadMtxFolder(string folder)
    {
        string matrixPath = Find(folder, "matrix.mtx");
        string barcodesPath = Find(folder, "barcodes.tsv");
        string featuresPath = File.Exists(Path.Combine(folder, "features.tsv.gz")) || File.Exists(Path.Combine(folder, "features.tsv"))
            ? Find(folder, "features.tsv") : Find(folder, "genes.tsv");
        string[] barcodes = ReadLines(barcodesPath).Where(l => l.Length > 0).Select(l => l.Split('\t')[0]).ToArray();
        var featureRows = ReadLines(featuresPath).Where(l => l.Length > 0).Select(l => l.Split('\t')).ToArray();
        string[] names = featureRows.Select(f => f.Length > 1 ? f[1] : f[0]).ToArray();
        string[]? types = featureRows.All(f => f.Length > 2) ? featureRows.Select(f => f[2]).ToArray() : null;

        using var reader = TextFiles.OpenText(matrixPath);
        string? header = reader.ReadLine();
        if (header is null || !header.StartsWith("%%MatrixMarket matrix coordinate", StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{matrixPath}: not a Matrix Market coordinate file (first line '{header}').");
        if (header.Contains("pattern", StringComparison.OrdinalIgnoreCase) || header.Contains("complex", StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{matrixPath}: only integer/real coordinate matrices are supported ('{header}').");
        string? line;
        do line = reader.ReadLine(); while (line is not null && (line.StartsWith('%') || line.Length == 0));
        var size = line?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (size.Length != 3 || !long.TryParse(size[0], out long rows) || !long.TryParse(size[1], out long cols) || !long.TryParse(size[2], out long nnz))
            throw new InvalidDataException($"{matrixPath}: missing or malformed size line '{line}'.");
        if (rows != names.Length || cols != barcodes.Length)
            throw new InvalidDataException(
                $"{matrixPath}: the matrix is {rows} features × {cols} barcodes, but {Path.GetFileName(featuresPath)} has {names.Length} and {Path.GetFileName(barcodesPath)} has {barcodes.Length}.");
        if (nnz < 0 || nnz > rows * cols || nnz > Array.MaxLength)
            throw new InvalidDataException($"{matrixPath}: the size line announces {nnz} entries, impossible for a {rows} × {cols} matrix (damaged header?).");
        // Grown as entries arrive: a header announcing more entries than the file holds allocates nothing up front.
        int capacity = (int)Math.Min(nnz, 1 << 20);
        var feature = new int[capacity];
        var barcode = new int[capacity];
        var value = new float[capacity];
        long count = 0;
        int lineNo = 2;
        Span<Range> parts = stackalloc Range[4];
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0 || line[0] == '%') continue;
            if (count >= nnz) throw new InvalidDataException($"{matrixPath} line {lineNo}: more entries than the {nnz} announced.");
            var span = line.AsSpan();
            int k = span.Split(parts, ' ', StringSplitOptions.RemoveEmptyEntries);
            if (k < 3 || !int.TryParse(span[parts[0]], CultureInfo.InvariantCulture, out int r) || !int.TryParse(span[parts[1]], CultureInfo.InvariantCulture, out int c)
                || !float.TryParse(span[parts[2]], NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
                throw new InvalidDataException($"{matrixPath} line {lineNo}: malformed entry '{line}'.");
            if (r < 1 || r > rows || c < 1 || c > cols)
                throw new InvalidDataException($"{matrixPath} line {lineNo}: entry ({r}, {c}) outside the {rows} × {cols} matrix.");
            if (count == capacity)
            {
                capacity = (int)Math.Min(nnz, 2L * capacity);
                Array.Resize(ref feature, capacity);
                Array.Resize(ref barcode, capacity);
                Array.Resize(ref value, capacity);
            }
            feature[count] = r - 1;
            barcode[count] = c - 1;
            value[count] = v;
            count++;
        }
        if (count != nnz)
            throw new InvalidDataException($"{matrixPath}: {count} entries found, the header announces {nnz} (truncated file?).");

        // Counting sort by barcode gives the per-barcode column layout of the HDF5 format.
        var start = new long[cols + 1];
        foreach (int c in barcode) start[c + 1]++;
        for (long c = 0; c < cols; c++) start[c + 1] += start[c];
        var next = (long[])start.Clone();
        var sortedFeature = new int[nnz];
        var sortedValue = new float[nnz];
        for (long e = 0; e < nnz; e++)
        {
            long at = next[barcode[e]]++;
            sortedFeature[at] = feature[e];
            sortedValue[at] = value[e];
        }
        return Checked(matrixPath, barcodes, names, types, start, sortedFeature, sortedValue);
    }

    private static FeatureBarcodeMatrix Checked(string path, string[] barcodes, string[] names, string[]? types, long[] indptr, int[] featureIndex, float[] data)
    {
        if (indptr.Length != barcodes.Length + 1)
            throw new InvalidDataException($"{path}: indptr has {indptr.Length} entries; expected {barcodes.Length + 1} (one per barcode + 1).");
        if (featureIndex.Length != data.Length || indptr[^1] != data.Length || indptr[0] != 0)
            throw new InvalidDataException($"{path}: indptr ends at {indptr[^1]} but there are {data.Length} values and {featureIndex.Length} indices.");
        for (int b = 0; b < barcodes.Length; b++)
            if (indptr[b + 1] < indptr[b]) throw new InvalidDataException($"{path}: indptr decreases at barcode {b}.");
        for (long e = 0; e < featureIndex.Length; e++)
        {
            if ((uint)featureIndex[e] >= (uint)names.Length)
                throw new InvalidDataException($"{path}: feature index {featureIndex[e]} at entry {e} is outside [0, {names.Length}).");
            if (!(data[e] >= 0) || !float.IsFinite(data[e]))
                throw new InvalidDataException($"{path}: entry {e} has count {data[e]}; counts must be finite and non-negative.");
        }
        var duplicates = barcodes.GroupBy(b => b, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (duplicates.Length > 0)
            throw new InvalidDataException($"{path}: barcode(s) appear more than once: {SpotTableBuilder.Sample(duplicates, duplicates.Length)}.");
        return new FeatureBarcodeMatrix
        {
            Source = path, Barcodes = barcodes, FeatureNames = names, FeatureTypes = types,
            ColumnStart = indptr, FeatureIndex = featureIndex, Values = data,
        };
    }

    private static T[] Read<T>(Hdf5Group g, string name) where T : unmanaged
    {
        using Hdf5Dataset ds = g.OpenDataset(name);
        return ds.Read<T>();
    }

    private static string[] Strings(Hdf5Group g, string name)
    {
        using Hdf5Dataset ds = g.OpenDataset(name);
        return ds.ReadStrings();
    }

    private static string Find(string folder, string name)
    {
        foreach (string candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"{folder}: no {name}.gz (or {name}) in the Matrix Market folder.", Path.Combine(folder, name + ".gz"));
    }

    private static List<string> ReadLines(string path)
    {
        // Truncated or damaged .gz files are refused by the reader, with the file named.
        using var reader = TextFiles.OpenText(path);
        var lines = new List<string>();
        while (reader.ReadLine() is { } l) lines.Add(l.TrimEnd('\r'));
        return lines;
    }
}
