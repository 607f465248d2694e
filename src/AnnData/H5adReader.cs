using System.Globalization;
using MlNetStem.Hdf5;

namespace MlNetStem.AnnData;

/// <summary>
/// Reads AnnData .h5ad files (anndata ≥ 0.7 on-disk format): X dense/CSR/CSC, layers, obs/var,
/// obsm, uns. Opening reads only the obs/var names and X's shape; everything else is read on
/// request, and <see cref="ReadColumns(IReadOnlyList{string}, IReadOnlyList{int}?, string?)"/>
/// extracts genes without densifying the matrix.
/// </summary>
/// <example>
/// <code>
/// using var reader = H5adReader.Open("sample.h5ad");
/// double[,] xy = reader.ReadObsm("spatial");                 // cells × 2
/// float[,] expr = reader.ReadColumns(["ERBB2", "ESR1"]);     // cells × 2 genes
/// </code>
/// </example>
public sealed class H5adReader : IDisposable
{
    // Entries scanned per block when filtering a CSR matrix by column: bounds memory to ~8 MB.
    private const long CsrBlockEntries = 1 << 20;

    // Elements per row block when picking genes from a dense X: ~16 MB of floats.
    private const long DenseBlockElements = 1 << 22;

    private readonly Hdf5File _file;
    private Dictionary<string, int>? _varLookup;
    private HashSet<string>? _duplicateVars;

    private H5adReader(Hdf5File file, string path)
    {
        _file = file;
        FilePath = path;
        ObsNames = ReadIndex("obs");
        VarNames = ReadIndex("var");
        if (_file.Exists("X"))
        {
            (XLayout, int rows, int cols) = MatrixInfo("X");
            if (rows != ObsCount || cols != VarCount)
                throw Error($"X is {rows} x {cols} but obs has {ObsCount} names and var has {VarCount}: shapes must match.", "/X");
        }
    }

    /// <summary>Path of the open file.</summary>
    public string FilePath { get; }

    /// <summary>Observation (cell/spot) names.</summary>
    public IReadOnlyList<string> ObsNames { get; }

    /// <summary>Variable (gene) names.</summary>
    public IReadOnlyList<string> VarNames { get; }

    /// <summary>Number of observations.</summary>
    public int ObsCount => ObsNames.Count;

    /// <summary>Number of variables.</summary>
    public int VarCount => VarNames.Count;

    /// <summary>How X is stored; null when the file has no X.</summary>
    public MatrixLayout? XLayout { get; }

    /// <summary>Names of the layers.</summary>
    public IReadOnlyList<string> LayerNames => Children("layers");

    /// <summary>Keys of obsm (e.g. "spatial").</summary>
    public IReadOnlyList<string> ObsmKeys => Children("obsm");

    /// <summary>Opens an .h5ad file and reads its obs/var names and X's shape.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="AnnDataFormatException">Not an HDF5 file, truncated, no obs/var, X's shape differs from obs × var, or unsupported encodings.</exception>
    public static H5adReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Hdf5File file;
        try
        {
            file = Hdf5File.Open(path, readOnly: true);
        }
        catch (Hdf5Exception ex)
        {
            throw new AnnDataFormatException($"Cannot read '{path}' as .h5ad: {ex.Message}", path, null, ex);
        }
        try
        {
            return new H5adReader(file, file.FilePath);
        }
        catch (Hdf5Exception ex)
        {
            file.Dispose();
            throw new AnnDataFormatException($"Cannot read '{path}' as .h5ad: {ex.Message}", path, ex.ObjectPath, ex);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads a whole .h5ad file into memory.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="AnnDataFormatException">See <see cref="Open"/> and <see cref="Read"/>.</exception>
    public static AnnDataFile ReadFile(string path)
    {
        using H5adReader reader = Open(path);
        return reader.Read();
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _file.Dispose();

    /// <summary>
    /// Reads everything: X (null when absent, with a warning), layers, obs, var, obsm and uns.
    /// Entries of obsm/layers/uns in encodings this reader does not support are skipped and
    /// listed in <see cref="AnnDataFile.Warnings"/>.
    /// </summary>
    /// <exception cref="AnnDataFormatException">X or an obs/var column uses an unsupported encoding, or the file is damaged.</exception>
    public AnnDataFile Read() => Guard(() =>
    {
        var warnings = new List<string>();
        AnnMatrix? x = null;
        if (XLayout is null) warnings.Add("The file has no X.");
        else x = ReadMatrix("X");
        var data = new AnnDataFile(x, ReadObs(), ReadVar());
        foreach (string name in LayerNames)
        {
            try { data.Layers[name] = ReadLayer(name); }
            catch (AnnDataFormatException ex) { warnings.Add($"Skipped layer '{name}': {ex.Message}"); }
        }
        foreach (string key in ObsmKeys)
        {
            try { data.Obsm[key] = ReadObsm(key); }
            catch (AnnDataFormatException ex) { warnings.Add($"Skipped obsm '{key}': {ex.Message}"); }
        }
        if (_file.GetKind("uns") == Hdf5ObjectKind.Group)
        {
            using Hdf5Group uns = _file.OpenGroup("uns");
            foreach ((string k, object v) in ReadDict(uns, warnings)) data.Uns[k] = v;
        }
        IReadOnlyList<string> duplicates = data.Var.DuplicateIndexValues();
        if (duplicates.Count > 0) warnings.Add($"Duplicated var names: {string.Join(", ", duplicates.Take(10))}.");
        data.Warnings.AddRange(warnings);
        return data;
    });

    /// <summary>Reads X into memory in its stored layout (values as float32).</summary>
    /// <exception cref="AnnDataFormatException">The file has no X, or it uses an unsupported encoding.</exception>
    public AnnMatrix ReadX() => XLayout is null ? throw Error("The file has no X matrix.", "/X") : Guard(() => ReadMatrix("X"));

    /// <summary>Reads the layer called <paramref name="name"/>.</summary>
    /// <exception cref="AnnDataFormatException">No such layer, wrong shape or unsupported encoding.</exception>
    public AnnMatrix ReadLayer(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        string path = "layers/" + name;
        if (!_file.Exists(path)) throw Error($"No layer '{name}'; layers are: {string.Join(", ", LayerNames)}.", "/" + path);
        return Guard(() =>
        {
            (_, int rows, int cols) = MatrixInfo(path);
            if (rows != ObsCount || cols != VarCount)
                throw Error($"Layer '{name}' is {rows} x {cols}; X is {ObsCount} x {VarCount}.", "/" + path);
            return ReadMatrix(path);
        });
    }

    /// <summary>Reads obs (index and all columns).</summary>
    /// <exception cref="AnnDataFormatException">A column uses an unsupported encoding.</exception>
    public AnnDataFrame ReadObs() => Guard(() => ReadFrame("obs", ObsNames));

    /// <summary>Reads var (index and all columns).</summary>
    /// <exception cref="AnnDataFormatException">A column uses an unsupported encoding.</exception>
    public AnnDataFrame ReadVar() => Guard(() => ReadFrame("var", VarNames));

    /// <summary>Reads obsm[<paramref name="key"/>] as an ObsCount × k array (k = 1 for a vector).</summary>
    /// <exception cref="AnnDataFormatException">No such key, or not a dense numeric array with ObsCount rows.</exception>
    public double[,] ReadObsm(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        string path = "obsm/" + key;
        Hdf5ObjectKind kind = _file.GetKind(path);
        if (kind == Hdf5ObjectKind.None) throw Error($"No obsm '{key}'; keys are: {string.Join(", ", ObsmKeys)}.", "/" + path);
        if (kind != Hdf5ObjectKind.Dataset)
        {
            using Hdf5Group g = _file.OpenGroup(path);
            throw Error($"obsm '{key}' has unsupported encoding '{EncodingOf(g) ?? "none"}' (only dense arrays are read).", "/" + path);
        }
        return Guard(() =>
        {
            using Hdf5Dataset ds = _file.OpenDataset(path);
            if (!IsNumericOrBool(ds.ElementType) || ds.Rank is < 1 or > 2)
                throw Error($"obsm '{key}' is a rank-{ds.Rank} {ds.ElementType} array; expected a numeric matrix.", ds.Path);
            int rows = Dimension(ds.Shape[0], "rows", ds.Path);
            int cols = ds.Rank == 2 ? Dimension(ds.Shape[1], "columns", ds.Path) : 1;
            if (rows != ObsCount) throw Error($"obsm '{key}' has {rows} rows; obs has {ObsCount}.", ds.Path);
            double[] flat = ds.Read<double>();
            var result = new double[rows, cols];
            Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(double));
            return result;
        });
    }

    /// <summary>Reads the uns tree (unsupported entries are left out).</summary>
    public Dictionary<string, object> ReadUns()
    {
        if (_file.GetKind("uns") != Hdf5ObjectKind.Group) return new(StringComparer.Ordinal);
        return Guard(() =>
        {
            using Hdf5Group uns = _file.OpenGroup("uns");
            return ReadDict(uns, []);
        });
    }

    /// <summary>Position of gene <paramref name="name"/> in var.</summary>
    /// <exception cref="KeyNotFoundException">No such gene.</exception>
    /// <exception cref="AnnDataFormatException">The name occurs more than once in var.</exception>
    public int IndexOfVar(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Dictionary<string, int> lookup = VarLookup();
        if (_duplicateVars!.Contains(name))
            throw Error($"Gene '{name}' occurs more than once in var names; select it by position instead.", "/var");
        return lookup.TryGetValue(name, out int index) ? index : throw new KeyNotFoundException($"Gene '{name}' is not in var names of '{FilePath}'.");
    }

    private Dictionary<string, int> VarLookup()
    {
        if (_varLookup is null)
        {
            var lookup = new Dictionary<string, int>(VarCount, StringComparer.Ordinal);
            var duplicates = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < VarCount; i++)
                if (!lookup.TryAdd(VarNames[i], i)) duplicates.Add(VarNames[i]);
            (_varLookup, _duplicateVars) = (lookup, duplicates);
        }
        return _varLookup;
    }

    /// <summary>
    /// Reads the named genes (columns) of X or a layer for all cells, or for <paramref name="cells"/>
    /// (positions, in the order given), as a dense cells × genes array. Only the needed parts are read:
    /// CSC reads only the selected genes' slices; dense and CSR read only the needed cells' rows, in bounded blocks.
    /// </summary>
    /// <exception cref="KeyNotFoundException">A gene is not in var (message lists up to 10 missing).</exception>
    /// <exception cref="AnnDataFormatException">A gene name is duplicated in var, or there is no X/layer.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A cell position is outside [0, ObsCount).</exception>
    public float[,] ReadColumns(IReadOnlyList<string> genes, IReadOnlyList<int>? cells = null, string? layer = null)
    {
        ArgumentNullException.ThrowIfNull(genes);
        Dictionary<string, int> lookup = VarLookup();
        var missing = genes.Where(g => !lookup.ContainsKey(g)).Distinct().ToList();
        if (missing.Count > 0)
            throw new KeyNotFoundException(
                $"{missing.Count} gene(s) not in var names of '{FilePath}': {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", ..." : "")}.");
        return ReadColumnsAt(genes.Select(IndexOfVar).ToArray(), cells, layer);
    }

    /// <summary>Like <see cref="ReadColumns(IReadOnlyList{string}, IReadOnlyList{int}?, string?)"/> with gene positions.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A gene or cell position is out of range.</exception>
    /// <exception cref="AnnDataFormatException">There is no X (or no such layer), or it is damaged.</exception>
    public float[,] ReadColumnsAt(IReadOnlyList<int> genes, IReadOnlyList<int>? cells = null, string? layer = null)
    {
        ArgumentNullException.ThrowIfNull(genes);
        foreach (int g in genes)
            if ((uint)g >= (uint)VarCount) throw new ArgumentOutOfRangeException(nameof(genes), $"Gene position {g} outside [0, {VarCount}).");
        if (cells is not null)
            foreach (int c in cells)
                if ((uint)c >= (uint)ObsCount) throw new ArgumentOutOfRangeException(nameof(cells), $"Cell position {c} outside [0, {ObsCount}).");
        string path = layer is null ? "X" : "layers/" + layer;
        if (layer is null && XLayout is null) throw Error("The file has no X matrix.", "/X");
        if (layer is not null && !_file.Exists(path)) throw Error($"No layer '{layer}'.", "/" + path);

        return Guard(() =>
        {
            (MatrixLayout layout, int rows, int cols) = MatrixInfo(path);
            if (rows != ObsCount || cols != VarCount) throw Error($"'{path}' is {rows} x {cols}; expected {ObsCount} x {VarCount}.", "/" + path);
            // Each needed row gets a slot in a compact result; duplicates in `cells` share it.
            var rowSlot = new int[ObsCount];
            int[] slotRows;
            if (cells is null)
            {
                for (int i = 0; i < ObsCount; i++) rowSlot[i] = i;
                slotRows = Enumerable.Range(0, ObsCount).ToArray();
            }
            else
            {
                Array.Fill(rowSlot, -1);
                var list = new List<int>();
                foreach (int c in cells)
                    if (rowSlot[c] < 0) { rowSlot[c] = list.Count; list.Add(c); }
                slotRows = list.ToArray();
            }
            var colSlots = new List<int>[VarCount];
            for (int k = 0; k < genes.Count; k++) (colSlots[genes[k]] ??= []).Add(k);

            float[,] compact = layout switch
            {
                MatrixLayout.Dense => DenseColumns(path, genes, rowSlot, slotRows),
                MatrixLayout.Csc => CscColumns(path, genes, rowSlot, slotRows.Length),
                _ => CsrColumns(path, colSlots, genes.Count, rowSlot, slotRows),
            };
            if (cells is null) return compact;
            var result = new float[cells.Count, genes.Count];
            for (int i = 0; i < cells.Count; i++)
            {
                int slot = rowSlot[cells[i]];
                for (int k = 0; k < genes.Count; k++) result[i, k] = compact[slot, k];
            }
            return result;
        });
    }

    private float[,] DenseColumns(string path, IReadOnlyList<int> genes, int[] rowSlot, int[] slotRows)
    {
        using Hdf5Dataset ds = _file.OpenDataset(path);
        var result = new float[slotRows.Length, genes.Count];
        if (slotRows.Length == 0) return result;
        // Strided column reads are slow on row-major storage (measured 36 ms per gene on 4000 x 20000),
        // so read blocks of whole rows covering the needed ones and pick the genes out.
        int blockRows = (int)Math.Clamp(DenseBlockElements / Math.Max(1, VarCount), 1, ObsCount);
        int[] needed = (int[])slotRows.Clone();
        Array.Sort(needed);
        int at = 0;
        while (at < needed.Length)
        {
            int first = needed[at];
            int stop = at;
            // Grow the block over small gaps only: isolated cells are read as single rows.
            while (stop + 1 < needed.Length && needed[stop + 1] - first < blockRows && needed[stop + 1] - needed[stop] <= 4) stop++;
            int count = needed[stop] - first + 1;
            float[] block = ds.ReadRows<float>(first, count);
            for (int i = at; i <= stop; i++)
            {
                int row = needed[i], slot = rowSlot[row];
                long offset = (long)(row - first) * VarCount;
                for (int k = 0; k < genes.Count; k++) result[slot, k] = block[offset + genes[k]];
            }
            at = stop + 1;
        }
        return result;
    }

    private float[,] CscColumns(string path, IReadOnlyList<int> genes, int[] rowSlot, int slots)
    {
        using Hdf5Group g = _file.OpenGroup(path);
        long[] indptr = ReadIndptr(g, MatrixLayout.Csc, ObsCount, VarCount);
        using Hdf5Dataset indicesDs = g.OpenDataset("indices");
        using Hdf5Dataset dataDs = g.OpenDataset("data");
        var result = new float[slots, genes.Count];
        for (int k = 0; k < genes.Count; k++)
        {
            long start = indptr[genes[k]], count = indptr[genes[k] + 1] - start;
            int[] rows = indicesDs.ReadRows<int>(start, count);
            float[] values = dataDs.ReadRows<float>(start, count);
            for (int i = 0; i < rows.Length; i++)
            {
                if ((uint)rows[i] >= (uint)ObsCount)
                    throw Inconsistent(g, MatrixLayout.Csc, $"row index {rows[i]} at entry {start + i} is outside [0, {ObsCount})", indicesDs.Path);
                int slot = rowSlot[rows[i]];
                if (slot >= 0) result[slot, k] += values[i];
            }
        }
        return result;
    }

    private float[,] CsrColumns(string path, List<int>[] colSlots, int geneCount, int[] rowSlot, int[] slotRows)
    {
        using Hdf5Group g = _file.OpenGroup(path);
        long[] indptr = ReadIndptr(g, MatrixLayout.Csr, ObsCount, VarCount);
        using Hdf5Dataset indicesDs = g.OpenDataset("indices");
        using Hdf5Dataset dataDs = g.OpenDataset("data");
        var result = new float[slotRows.Length, geneCount];
        if (slotRows.Length == 0) return result;
        int[] needed = (int[])slotRows.Clone();
        Array.Sort(needed);
        int at = 0;
        while (at < needed.Length)
        {
            // A block spans needed rows separated by small gaps, under the entry budget (at least one row).
            int first = needed[at], stop = at;
            while (stop + 1 < needed.Length && needed[stop + 1] - needed[stop] <= 4
                   && indptr[needed[stop + 1] + 1] - indptr[first] <= CsrBlockEntries) stop++;
            long start = indptr[first], count = indptr[needed[stop] + 1] - start;
            if (count > 0)
            {
                int[] cols = indicesDs.ReadRows<int>(start, count);
                float[] values = dataDs.ReadRows<float>(start, count);
                for (int n = at; n <= stop; n++)
                {
                    int r = needed[n], slot = rowSlot[r];
                    for (long i = indptr[r] - start; i < indptr[r + 1] - start; i++)
                    {
                        int c = cols[i];
                        if ((uint)c >= (uint)VarCount)
                            throw Inconsistent(g, MatrixLayout.Csr, $"column index {c} at entry {start + i} is outside [0, {VarCount})", indicesDs.Path);
                        if (colSlots[c] is { } targets)
                            foreach (int k in targets) result[slot, k] += values[i];
                    }
                }
            }
            at = stop + 1;
        }
        return result;
    }

    private (MatrixLayout Layout, int Rows, int Cols) MatrixInfo(string path)
    {
        if (_file.GetKind(path) == Hdf5ObjectKind.Dataset)
        {
            using Hdf5Dataset ds = _file.OpenDataset(path);
            string? enc = EncodingOf(ds);
            if (enc is not null && enc != H5adEncoding.Array)
                throw Error($"'{ds.Path}' has unsupported encoding '{enc}' for a matrix.", ds.Path);
            if (ds.Rank != 2) throw Error($"'{ds.Path}' has rank {ds.Rank}; a matrix needs rank 2.", ds.Path);
            if (!IsNumericOrBool(ds.ElementType)) throw Error($"'{ds.Path}' holds {ds.ElementType}; expected numbers.", ds.Path);
            int denseRows = Dimension(ds.Shape[0], "rows", ds.Path), denseCols = Dimension(ds.Shape[1], "columns", ds.Path);
            if ((long)denseRows * denseCols > Array.MaxLength)
                throw Error($"'{ds.Path}' claims {denseRows} x {denseCols} = {(long)denseRows * denseCols} values, more than can be read into memory (at most {Array.MaxLength}).", ds.Path);
            return (MatrixLayout.Dense, denseRows, denseCols);
        }
        using Hdf5Group g = _file.OpenGroup(path);
        string? encoding = EncodingOf(g);
        // Files from anndata < 0.7 mark sparse matrices with h5sparse_format instead.
        if (encoding is null && g.HasAttribute("h5sparse_format"))
            encoding = g.ReadStringAttribute("h5sparse_format") + "_matrix";
        MatrixLayout layout = encoding switch
        {
            H5adEncoding.Csr => MatrixLayout.Csr,
            H5adEncoding.Csc => MatrixLayout.Csc,
            _ => throw Error($"'{g.Path}' has unsupported encoding '{encoding ?? "none"}'; expected array, csr_matrix or csc_matrix.", g.Path),
        };
        string shapeAttr = g.HasAttribute("shape") ? "shape" : "h5sparse_shape";
        long[] shape = g.ReadAttribute<long>(shapeAttr);
        if (shape.Length != 2) throw Error($"'{g.Path}' shape attribute has {shape.Length} entries; expected 2.", g.Path);
        foreach (string part in new[] { "data", "indices", "indptr" })
            if (g.GetKind(part) != Hdf5ObjectKind.Dataset) throw Error($"Sparse matrix '{g.Path}' lacks its '{part}' dataset.", g.Path + "/" + part);
        int rows = Dimension(shape[0], "rows", g.Path), cols = Dimension(shape[1], "columns", g.Path);
        CheckSparseSizes(g, layout, rows, cols);
        return (layout, rows, cols);
    }

    // A stored dimension as an int: negative or huge values (damaged or hostile files) are refused before any allocation.
    private int Dimension(long value, string what, string path) =>
        value is >= 0 and <= int.MaxValue ? (int)value : throw Error($"'{path}' claims {value} {what}; expected 0 to {int.MaxValue}.", path);

    private static string Name(MatrixLayout layout) => layout == MatrixLayout.Csr ? "CSR" : "CSC";

    private AnnDataFormatException Inconsistent(Hdf5Group g, MatrixLayout layout, string what, string element) =>
        Error($"{Name(layout)} matrix '{g.Path}' is inconsistent: {what}.", element);

    /// <summary>Checks the sparse datasets' sizes from their metadata only (nothing is read or allocated).</summary>
    private long CheckSparseSizes(Hdf5Group g, MatrixLayout layout, int rows, int cols)
    {
        using Hdf5Dataset data = g.OpenDataset("data");
        using Hdf5Dataset indices = g.OpenDataset("indices");
        using Hdf5Dataset indptr = g.OpenDataset("indptr");
        foreach (Hdf5Dataset ds in new[] { data, indices, indptr })
            if (ds.Rank != 1) throw Inconsistent(g, layout, $"'{ds.Path}' has rank {ds.Rank}; expected a 1-D array", ds.Path);
        long nnz = data.ElementCount;
        if (indices.ElementCount != nnz)
            throw Inconsistent(g, layout, $"data holds {nnz} values but indices holds {indices.ElementCount}", indices.Path);
        if (nnz > Array.MaxLength)
            throw Inconsistent(g, layout, $"data claims {nnz} stored values, more than can be read into memory (at most {Array.MaxLength})", data.Path);
        (int major, string unit) = layout == MatrixLayout.Csr ? (rows, "row") : (cols, "column");
        if (indptr.ElementCount != (long)major + 1)
            throw Inconsistent(g, layout, $"indptr has {indptr.ElementCount} entries; {major} {unit}s need {(long)major + 1} (one per {unit} + 1)", indptr.Path);
        return nnz;
    }

    /// <summary>Reads indptr and checks it: starts at 0, never decreases, ends at the number of stored values.</summary>
    private long[] ReadIndptr(Hdf5Group g, MatrixLayout layout, int rows, int cols)
    {
        long nnz = CheckSparseSizes(g, layout, rows, cols);
        using Hdf5Dataset ds = g.OpenDataset("indptr");
        long[] indptr = ds.Read<long>();
        string unit = layout == MatrixLayout.Csr ? "row" : "column";
        if (indptr[0] != 0) throw Inconsistent(g, layout, $"indptr starts at {indptr[0]}, not 0", ds.Path);
        for (int i = 0; i + 1 < indptr.Length; i++)
            if (indptr[i + 1] < indptr[i])
                throw Inconsistent(g, layout, $"indptr decreases at {unit} {i} ({indptr[i]} then {indptr[i + 1]})", ds.Path);
        if (indptr[^1] != nnz)
            throw Inconsistent(g, layout, $"indptr ends at {indptr[^1]} but data holds {nnz} values", ds.Path);
        return indptr;
    }

    private void CheckIndices(Hdf5Group g, MatrixLayout layout, int[] indices, long offset, int bound, string element)
    {
        for (int i = 0; i < indices.Length; i++)
            if ((uint)indices[i] >= (uint)bound)
                throw Inconsistent(g, layout,
                    $"{(layout == MatrixLayout.Csr ? "column" : "row")} index {indices[i]} at entry {offset + i} is outside [0, {bound})", element);
    }

    private AnnMatrix ReadMatrix(string path)
    {
        (MatrixLayout layout, int rows, int cols) = MatrixInfo(path);
        if (layout == MatrixLayout.Dense)
        {
            using Hdf5Dataset ds = _file.OpenDataset(path);
            return new DenseMatrix(rows, cols, ds.Read<float>());
        }
        using Hdf5Group g = _file.OpenGroup(path);
        long[] indptr = ReadIndptr(g, layout, rows, cols);
        using Hdf5Dataset data = g.OpenDataset("data");
        using Hdf5Dataset indices = g.OpenDataset("indices");
        int[] minor = indices.Read<int>();
        CheckIndices(g, layout, minor, 0, layout == MatrixLayout.Csr ? cols : rows, indices.Path);
        try
        {
            return new SparseMatrix(layout, rows, cols, data.Read<float>(), minor, indptr);
        }
        catch (ArgumentException ex)
        {
            throw Error($"Sparse matrix '{g.Path}' is inconsistent: {ex.Message}", g.Path);
        }
    }

    private IReadOnlyList<string> ReadIndex(string frame)
    {
        Hdf5ObjectKind kind = _file.GetKind(frame);
        if (kind == Hdf5ObjectKind.None) throw Error($"The file has no '{frame}' group; it is not an AnnData file.", "/" + frame);
        if (kind == Hdf5ObjectKind.Dataset)
            throw Error($"'{frame}' is a compound dataset (written by anndata < 0.7); re-save the file with a newer anndata.", "/" + frame);
        using Hdf5Group g = _file.OpenGroup(frame);
        string? enc = EncodingOf(g);
        if (enc is not null && enc != H5adEncoding.DataFrame)
            throw Error($"'{frame}' has unsupported encoding '{enc}'; expected dataframe.", g.Path);
        string indexName = g.HasAttribute("_index") ? g.ReadStringAttribute("_index") : "_index";
        if (g.GetKind(indexName) != Hdf5ObjectKind.Dataset) throw Error($"'{frame}' lacks its index dataset '{indexName}'.", g.Path + "/" + indexName);
        using Hdf5Dataset ds = g.OpenDataset(indexName);
        return ReadTextLike(ds);
    }

    private AnnDataFrame ReadFrame(string name, IReadOnlyList<string> index)
    {
        using Hdf5Group g = _file.OpenGroup(name);
        string indexName = g.HasAttribute("_index") ? g.ReadStringAttribute("_index") : "_index";
        IReadOnlyList<string> order = g.HasAttribute("column-order")
            ? g.ReadStringArrayAttribute("column-order")
            : g.ChildNames().Where(c => c != indexName && c != "__categories").ToList();
        var frame = new AnnDataFrame(index);
        foreach (string column in order)
        {
            AnnColumn col = ReadFrameColumn(g, column);
            if (col.Count != index.Count) throw Error($"Column '{column}' has {col.Count} values; the index has {index.Count}.", g.Path + "/" + column);
            frame.Add(col);
        }
        return frame;
    }

    private AnnColumn ReadFrameColumn(Hdf5Group frame, string name)
    {
        string path = frame.Path + "/" + name;
        switch (frame.GetKind(name))
        {
            case Hdf5ObjectKind.None:
                throw Error($"Column '{name}' is listed in column-order but missing.", path);
            case Hdf5ObjectKind.Group:
            {
                using Hdf5Group g = frame.OpenGroup(name);
                string? enc = EncodingOf(g);
                switch (enc)
                {
                    case H5adEncoding.Categorical:
                    {
                        using Hdf5Dataset cats = g.OpenDataset("categories");
                        using Hdf5Dataset codes = g.OpenDataset("codes");
                        bool ordered = g.HasAttribute("ordered") && g.ReadScalarAttribute<bool>("ordered");
                        try
                        {
                            return new CategoricalColumn(name, ReadTextLike(cats).ToArray(), codes.Read<int>(), ordered);
                        }
                        catch (ArgumentException ex)
                        {
                            throw Error($"Categorical '{name}' is inconsistent: {ex.Message}", path);
                        }
                    }
                    case H5adEncoding.NullableInteger:
                    case H5adEncoding.NullableBoolean:
                    {
                        // Missing entries become NaN; booleans read as 0/1.
                        using Hdf5Dataset values = g.OpenDataset("values");
                        double[] v = values.ElementType == Hdf5ElementType.Boolean
                            ? values.Read<bool>().Select(b => b ? 1.0 : 0.0).ToArray()
                            : values.Read<double>();
                        if (g.Exists("mask"))   // anndata omits the mask when nothing is missing
                        {
                            using Hdf5Dataset mask = g.OpenDataset("mask");
                            bool[] m = mask.Read<bool>();
                            if (m.Length != v.Length) throw Error($"Column '{name}': mask has {m.Length} entries, values {v.Length}.", path);
                            for (int i = 0; i < v.Length; i++) if (m[i]) v[i] = double.NaN;
                        }
                        return new NumericColumn(name, v, enc == H5adEncoding.NullableInteger);
                    }
                    default:
                        throw Error($"Column '{name}' has unsupported encoding '{enc ?? "none"}'.", path);
                }
            }
            case Hdf5ObjectKind.Dataset:
            {
                using Hdf5Dataset ds = frame.OpenDataset(name);
                if (ds.Rank != 1) throw Error($"Column '{name}' has rank {ds.Rank}; expected 1.", path);
                if (ds.HasAttribute("categories"))
                    throw Error($"Column '{name}' is a legacy categorical (anndata < 0.7); re-save the file with a newer anndata.", path);
                Hdf5ElementType t = ds.ElementType;
                if (t == Hdf5ElementType.Boolean) return new BooleanColumn(name, ds.Read<bool>());
                if (t is Hdf5ElementType.FixedString or Hdf5ElementType.VariableString) return new StringColumn(name, ds.ReadStrings());
                if (IsNumericOrBool(t)) return new NumericColumn(name, ds.Read<double>(), IsInteger(t));
                throw Error($"Column '{name}' holds {t} elements, which this reader does not support.", path);
            }
            default:
                throw Error($"Column '{name}' is neither a group nor a dataset.", path);
        }
    }

    private Dictionary<string, object> ReadDict(Hdf5Group group, List<string> warnings)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (string key in group.ChildNames())
        {
            string path = group.Path + "/" + key;
            if (group.GetKind(key) == Hdf5ObjectKind.Group)
            {
                using Hdf5Group child = group.OpenGroup(key);
                string? enc = EncodingOf(child);
                if (enc is null or H5adEncoding.Dict) result[key] = ReadDict(child, warnings);
                else warnings.Add($"Skipped uns entry '{path}': unsupported encoding '{enc}'.");
                continue;
            }
            using Hdf5Dataset ds = group.OpenDataset(key);
            object? value = ReadUnsValue(ds);
            if (value is null) warnings.Add($"Skipped uns entry '{path}': {ds.ElementType} with rank {ds.Rank} is not supported.");
            else result[key] = value;
        }
        return result;
    }

    private static object? ReadUnsValue(Hdf5Dataset ds)
    {
        Hdf5ElementType t = ds.ElementType;
        bool isString = t is Hdf5ElementType.FixedString or Hdf5ElementType.VariableString;
        if (ds.Rank == 0)
        {
            if (isString) return ds.ReadScalarString();
            if (t == Hdf5ElementType.Boolean) return ds.ReadScalar<bool>();
            if (IsInteger(t)) return ds.ReadScalar<long>();
            if (IsNumericOrBool(t)) return ds.ReadScalar<double>();
            return null;
        }
        if (isString) return ds.ReadStrings();
        // Images (scanpy's uns['spatial'][library]['images']) stay bytes.
        if (t == Hdf5ElementType.UInt8) return new UInt8Array(ds.Shape.ToArray(), ds.Read<byte>());
        if (t == Hdf5ElementType.Boolean)
            return new NumericArray(ds.Shape.ToArray(), ds.Read<bool>().Select(b => b ? 1.0 : 0.0).ToArray(), isInteger: true);
        if (IsNumericOrBool(t)) return new NumericArray(ds.Shape.ToArray(), ds.Read<double>(), IsInteger(t));
        return null;
    }

    private static IReadOnlyList<string> ReadTextLike(Hdf5Dataset ds)
    {
        if (ds.ElementType is Hdf5ElementType.FixedString or Hdf5ElementType.VariableString) return ds.ReadStrings();
        // pandas allows numeric indexes/categories: show them as invariant text.
        if (IsInteger(ds.ElementType)) return ds.Read<long>().Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (IsNumericOrBool(ds.ElementType)) return ds.Read<double>().Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
        throw new AnnDataFormatException($"'{ds.Path}' holds {ds.ElementType}; expected strings.", null, ds.Path);
    }

    private IReadOnlyList<string> Children(string group) =>
        _file.GetKind(group) == Hdf5ObjectKind.Group ? Guard(() => { using Hdf5Group g = _file.OpenGroup(group); return g.ChildNames(); }) : [];

    private static string? EncodingOf(Hdf5Object o) =>
        o.HasAttribute(H5adEncoding.TypeAttribute) ? o.ReadStringAttribute(H5adEncoding.TypeAttribute) : null;

    private static bool IsInteger(Hdf5ElementType t) => t is >= Hdf5ElementType.Int8 and <= Hdf5ElementType.UInt64;

    private static bool IsNumericOrBool(Hdf5ElementType t) => t is >= Hdf5ElementType.Int8 and <= Hdf5ElementType.Boolean;

    private AnnDataFormatException Error(string message, string? element) => new($"{FilePath}: {message}", FilePath, element);

    // HDF5 failures inside a read (damaged file, wrong types) surface as format errors naming the file.
    private T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Hdf5Exception ex)
        {
            throw new AnnDataFormatException($"{FilePath}: {ex.Message}", FilePath, ex.ObjectPath, ex);
        }
    }
}
