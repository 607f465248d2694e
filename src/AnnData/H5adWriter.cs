using MlNetStem.Hdf5;

namespace MlNetStem.AnnData;

/// <summary>
/// Writes <see cref="AnnDataFile"/> as an anndata-0.8-compatible .h5ad (every element carries the
/// encoding-type / encoding-version attributes anndata expects). The file is written to a
/// temporary file in the same directory and renamed over the target, so readers never see a
/// half-written file.
/// </summary>
/// <example>
/// <code>
/// var obs = new AnnDataFrame(spotIds);
/// var var = new AnnDataFrame(genes);
/// var predictions = new AnnDataFile(new DenseMatrix(spots, genes.Length, values), obs, var);
/// predictions.Obsm["spatial"] = xy;
/// H5adWriter.Write(predictions, "predicted.h5ad");
/// </code>
/// </example>
public static class H5adWriter
{
    /// <summary>Validates <paramref name="data"/> and writes it atomically to <paramref name="path"/>.</summary>
    /// <exception cref="AnnDataFormatException">Shapes disagree with obs/var, var names repeat (named), or an uns value has an unsupported type.</exception>
    /// <exception cref="DirectoryNotFoundException">The target directory does not exist.</exception>
    /// <exception cref="IOException">The file cannot be saved (e.g. no space left on the device); the target is left unchanged and the temporary file removed.</exception>
    /// <exception cref="Hdf5Exception">The native write failed (files estimated above 1 GiB are written by HDF5 itself).</exception>
    public static void Write(AnnDataFile data, string path, H5adWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new H5adWriteOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CompressionLevel, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.CompressionLevel, 9);
        data.Validate();
        ValidateUns(data.Uns, "uns");

        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Directory '{directory}' does not exist.");
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            if (EstimateBytes(data) <= InMemoryLimitBytes)
            {
                // Built in memory, saved with managed I/O: a full disk is an IOException here, never a native close
                // failure (which in HDF5 1.10 leaves a freed file behind and crashes the process at exit).
                using Hdf5File file = Hdf5File.CreateInMemory(temp);
                WriteAll(file, data, options.CompressionLevel);
                try
                {
                    using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
                    file.WriteImageTo(stream);
                    stream.Flush(flushToDisk: true);
                }
                catch (IOException ex)
                {
                    string reason = ex.Message.Replace($" : '{temp}'", "", StringComparison.Ordinal).Replace(temp, "the temporary file", StringComparison.Ordinal).TrimEnd('.');
                    throw new IOException($"Cannot write '{full}': {reason} ('{full}' was not changed).", ex);
                }
                catch (ArgumentException ex)
                {
                    // EFBIG (a file size limit, or the file system's maximum) surfaces from FileStream as an ArgumentException.
                    throw new IOException($"Cannot write '{full}': File too large for the file system or the process's file size limit ('{full}' was not changed).", ex);
                }
            }
            else
            {
                using Hdf5File file = Hdf5File.Create(temp);
                WriteAll(file, data, options.CompressionLevel);
                // Fail before the rename when the data cannot reach the disk.
                file.Flush();
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Files estimated up to this size are built in memory and saved with managed I/O (see <see cref="Write"/>).</summary>
    private const long InMemoryLimitBytes = 1L << 30;

    // A rough upper estimate of the file's size: matrices, obsm and the text of obs/var indexes.
    private static long EstimateBytes(AnnDataFile data)
    {
        static long MatrixBytes(AnnMatrix? m) => m switch
        {
            DenseMatrix d => (long)d.Rows * d.Columns * sizeof(float),
            SparseMatrix s => s.NonZeroCount * (sizeof(float) + sizeof(int)) + s.IndPtr.LongLength * sizeof(long),
            _ => 0,
        };
        long bytes = 1 << 20;
        bytes += MatrixBytes(data.X);
        foreach (AnnMatrix layer in data.Layers.Values) bytes += MatrixBytes(layer);
        foreach (double[,] a in data.Obsm.Values) bytes += a.LongLength * sizeof(double);
        bytes += (data.ObsCount + data.VarCount) * 64L * (2 + data.Obs.Columns.Count + data.Var.Columns.Count);
        return bytes + UnsBytes(data.Uns);
    }

    // uns arrays that can be large: images (uint8) and numeric arrays.
    private static long UnsBytes(IEnumerable<KeyValuePair<string, object>> entries)
    {
        long bytes = 0;
        foreach ((_, object value) in entries)
            bytes += value switch
            {
                IEnumerable<KeyValuePair<string, object>> nested => UnsBytes(nested),
                UInt8Array b => b.Data.LongLength,
                NumericArray n => n.Data.LongLength * sizeof(double),
                _ => 0,
            };
        return bytes;
    }

    private static void WriteAll(Hdf5File file, AnnDataFile data, int level)
    {
        Mark(file, H5adEncoding.AnnData);
        if (data.X is not null) WriteMatrix(file, "X", data.X, level);
        WriteFrame(file, "obs", data.Obs);
        WriteFrame(file, "var", data.Var);
        using (Hdf5Group layers = DictGroup(file, "layers"))
            foreach ((string name, AnnMatrix m) in data.Layers) WriteMatrix(layers, name, m, level);
        using (Hdf5Group obsm = DictGroup(file, "obsm"))
            foreach ((string name, double[,] a) in data.Obsm)
                using (Hdf5Dataset ds = obsm.WriteDataset<double>(name, Flatten(a), [a.GetLength(0), a.GetLength(1)], level))
                    Mark(ds, H5adEncoding.Array);
        foreach (string empty in new[] { "obsp", "varm", "varp" }) DictGroup(file, empty).Dispose();
        using Hdf5Group uns = DictGroup(file, "uns");
        WriteDict(uns, data.Uns);
    }

    private static void Mark(Hdf5Object o, string encoding)
    {
        o.WriteAttribute(H5adEncoding.TypeAttribute, encoding);
        o.WriteAttribute(H5adEncoding.VersionAttribute, H5adEncoding.VersionOf(encoding));
    }

    private static Hdf5Group DictGroup(Hdf5Group parent, string name)
    {
        Hdf5Group g = parent.CreateGroup(name);
        Mark(g, H5adEncoding.Dict);
        return g;
    }

    private static void WriteMatrix(Hdf5Group parent, string name, AnnMatrix matrix, int level)
    {
        switch (matrix)
        {
            case DenseMatrix dense:
                using (Hdf5Dataset ds = parent.WriteDataset<float>(name, dense.Values, [dense.Rows, dense.Columns], level))
                    Mark(ds, H5adEncoding.Array);
                break;
            case SparseMatrix sparse:
                using (Hdf5Group g = parent.CreateGroup(name))
                {
                    Mark(g, sparse.Layout == MatrixLayout.Csr ? H5adEncoding.Csr : H5adEncoding.Csc);
                    g.WriteAttribute<long>("shape", [sparse.Rows, sparse.Columns]);
                    g.WriteDataset("data", sparse.Data, level).Dispose();
                    g.WriteDataset("indices", sparse.Indices, level).Dispose();
                    // scipy uses int32 index pointers whenever they fit; keep files familiar.
                    if (sparse.NonZeroCount <= int.MaxValue)
                        g.WriteDataset("indptr", sparse.IndPtr.Select(p => (int)p).ToArray(), level).Dispose();
                    else
                        g.WriteDataset("indptr", sparse.IndPtr, level).Dispose();
                }
                break;
            default:
                throw new AnnDataFormatException($"Matrix type {matrix.GetType().Name} cannot be written.", elementPath: parent.Path + "/" + name);
        }
    }

    private static void WriteFrame(Hdf5File file, string name, AnnDataFrame frame)
    {
        using Hdf5Group g = file.CreateGroup(name);
        Mark(g, H5adEncoding.DataFrame);
        g.WriteAttribute("_index", "_index");
        g.WriteAttribute("column-order", frame.Columns.Select(c => c.Name).ToArray());
        using (Hdf5Dataset index = g.WriteStrings("_index", frame.Index.ToArray()))
            Mark(index, H5adEncoding.StringArray);
        foreach (AnnColumn column in frame.Columns)
        {
            switch (column)
            {
                case NumericColumn n when n.IsInteger && n.Values.Any(double.IsNaN):
                    // pandas' nullable Int64: values plus a mask of missing entries.
                    using (Hdf5Group nullable = g.CreateGroup(n.Name))
                    {
                        Mark(nullable, H5adEncoding.NullableInteger);
                        using (Hdf5Dataset values = nullable.WriteDataset("values", n.Values.Select(v => double.IsNaN(v) ? 0L : (long)v).ToArray()))
                            Mark(values, H5adEncoding.Array);
                        using (Hdf5Dataset mask = nullable.WriteDataset("mask", n.Values.Select(double.IsNaN).ToArray()))
                            Mark(mask, H5adEncoding.Array);
                    }
                    break;
                case NumericColumn n:
                    using (Hdf5Dataset ds = n.IsInteger
                        ? g.WriteDataset(n.Name, n.Values.Select(v => (long)v).ToArray())
                        : g.WriteDataset(n.Name, n.Values))
                        Mark(ds, H5adEncoding.Array);
                    break;
                case BooleanColumn b:
                    using (Hdf5Dataset ds = g.WriteDataset(b.Name, b.Values)) Mark(ds, H5adEncoding.Array);
                    break;
                case StringColumn s:
                    using (Hdf5Dataset ds = g.WriteStrings(s.Name, s.Values)) Mark(ds, H5adEncoding.StringArray);
                    break;
                case CategoricalColumn c:
                    using (Hdf5Group cat = g.CreateGroup(c.Name))
                    {
                        Mark(cat, H5adEncoding.Categorical);
                        cat.WriteScalarAttribute("ordered", c.Ordered);
                        using (Hdf5Dataset cats = cat.WriteStrings("categories", c.Categories)) Mark(cats, H5adEncoding.StringArray);
                        // pandas picks the smallest signed code type that holds the categories.
                        using Hdf5Dataset codes = c.Categories.Length < sbyte.MaxValue
                            ? cat.WriteDataset("codes", c.Codes.Select(x => (sbyte)x).ToArray())
                            : c.Categories.Length < short.MaxValue
                                ? cat.WriteDataset("codes", c.Codes.Select(x => (short)x).ToArray())
                                : cat.WriteDataset("codes", c.Codes);
                        Mark(codes, H5adEncoding.Array);
                    }
                    break;
                default:
                    throw new AnnDataFormatException($"Column type {column.GetType().Name} cannot be written.", elementPath: g.Path + "/" + column.Name);
            }
        }
    }

    private static void WriteDict(Hdf5Group g, IEnumerable<KeyValuePair<string, object>> entries)
    {
        foreach ((string key, object value) in entries)
        {
            if (value is IEnumerable<KeyValuePair<string, object>> nested)
            {
                using Hdf5Group child = DictGroup(g, key);
                WriteDict(child, nested);
                continue;
            }
            using Hdf5Dataset ds = WriteUnsValue(g, key, value);
            Mark(ds, value switch
            {
                string => H5adEncoding.String,
                string[] => H5adEncoding.StringArray,
                double or float or long or int or bool => H5adEncoding.NumericScalar,
                _ => H5adEncoding.Array,
            });
        }
    }

    private static Hdf5Dataset WriteUnsValue(Hdf5Group g, string key, object value) => value switch
    {
        string s => g.WriteString(key, s),
        string[] a => g.WriteStrings(key, a),
        double d => g.WriteScalar(key, d),
        float f => g.WriteScalar(key, (double)f),
        long l => g.WriteScalar(key, l),
        int i => g.WriteScalar(key, (long)i),
        bool b => g.WriteScalar(key, b),
        double[] a => g.WriteDataset(key, a),
        float[] a => g.WriteDataset(key, a),
        long[] a => g.WriteDataset(key, a),
        int[] a => g.WriteDataset(key, a),
        bool[] a => g.WriteDataset(key, a),
        double[,] a => g.WriteDataset<double>(key, Flatten(a), [a.GetLength(0), a.GetLength(1)]),
        NumericArray n when n.IsInteger => g.WriteDataset<long>(key, n.Data.Select(v => (long)v).ToArray(), n.Shape),
        NumericArray n => g.WriteDataset<double>(key, n.Data, n.Shape),
        UInt8Array b => g.WriteDataset<byte>(key, b.Data, b.Shape),
        _ => throw new AnnDataFormatException($"uns value '{g.Path}/{key}' of type {value.GetType().Name} cannot be written.", elementPath: g.Path + "/" + key),
    };

    private static void ValidateUns(IEnumerable<KeyValuePair<string, object>> entries, string path)
    {
        foreach ((string key, object value) in entries)
        {
            if (string.IsNullOrEmpty(key) || key.Contains('/'))
                throw new AnnDataFormatException($"uns key '{key}' under '{path}' is empty or contains '/'.", elementPath: path);
            switch (value)
            {
                case IEnumerable<KeyValuePair<string, object>> nested:
                    ValidateUns(nested, path + "/" + key);
                    break;
                case string or string[] or double or float or long or int or bool or double[] or float[] or long[] or int[] or bool[] or double[,] or NumericArray or UInt8Array:
                    break;
                default:
                    throw new AnnDataFormatException(
                        $"uns value '{path}/{key}' has unsupported type {value?.GetType().Name ?? "null"}; use string, number, bool, arrays of them, NumericArray, UInt8Array or a nested dictionary.",
                        elementPath: path + "/" + key);
            }
        }
    }

    private static double[] Flatten(double[,] a)
    {
        var flat = new double[a.Length];
        Buffer.BlockCopy(a, 0, flat, 0, flat.Length * sizeof(double));
        return flat;
    }
}
