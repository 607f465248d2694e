using MlNetStem.AnnData;
using MlNetStem.Hdf5;

namespace MlNetStem.Data;

/// <summary>
/// Reads any AnnData .h5ad with spot positions: obs index = barcodes, <c>obsm["spatial"]</c> = (x, y) in
/// the image's pixels (or obs columns pxl_col_in_fullres / pxl_row_in_fullres), counts from
/// <c>layers["counts"]</c> when present, else X. The image is given with <see cref="SectionLoadOptions.ImagePath"/>.
/// </summary>
/// <remarks>
/// With <see cref="SectionLoadOptions.Genes"/> only those genes are read (a sparse X is never densified
/// whole). µm/px: the option, else 55 µm / <c>uns["spatial"][library]["scalefactors"]["spot_diameter_fullres"]</c>
/// (scanpy's Visium layout), else unknown. Obs array_row/array_col become ArrayY/ArrayX; obs in_tissue = 0 rows are dropped.
/// </remarks>
public static class AnnDataSectionLoader
{
    /// <summary>Loads <paramref name="path"/> with the image from <see cref="SectionLoadOptions.ImagePath"/>.</summary>
    /// <exception cref="FileNotFoundException">The file or the image does not exist.</exception>
    /// <exception cref="ArgumentException">No image was given.</exception>
    /// <exception cref="InvalidDataException">Unreadable or truncated file, no spatial coordinates, no counts when required, duplicated genes (strict), spots outside the image.</exception>
    public static SpatialSection Load(string path, SectionLoadOptions? options = null)
    {
        options ??= new SectionLoadOptions();
        if (!File.Exists(path)) throw new FileNotFoundException($"AnnData file '{path}' does not exist.", path);
        if (options.ImagePath is not { } image)
            throw new ArgumentException($"{path}: an .h5ad carries no H&E image file; give one (ImagePath / --image).");
        string imagePath = Path.GetFullPath(image);
        if (!File.Exists(imagePath)) throw new FileNotFoundException($"Image '{image}' does not exist.", imagePath);
        return Read(path, imagePath, options, SectionFormat.AnnData, Path.GetFullPath(path), [], ScanpyMicronsPerPixel);
    }

    /// <summary>Shared by the .h5ad-based layouts: reads spots and counts, places them on <paramref name="imagePath"/>.</summary>
    internal static SpatialSection Read(string h5adPath, string imagePath, SectionLoadOptions options, SectionFormat format,
        string source, List<string> notes, Func<H5adReader, double?> layoutMicronsPerPixel, double? knownMicronsPerPixel = null)
    {
        H5adReader reader;
        try
        {
            reader = H5adReader.Open(h5adPath);
        }
        catch (AnnDataFormatException ex)
        {
            throw new InvalidDataException($"{h5adPath}: cannot be read as .h5ad (truncated or not AnnData): {ex.Message}", ex);
        }
        using (reader)
        {
            try
            {
                return ReadOpen(reader, imagePath, options, format, source, notes, layoutMicronsPerPixel, knownMicronsPerPixel);
            }
            catch (Exception ex) when (ex is AnnDataFormatException or Hdf5Exception)
            {
                throw new InvalidDataException($"{h5adPath}: {ex.Message}", ex);
            }
        }
    }

    private static SpatialSection ReadOpen(H5adReader reader, string imagePath, SectionLoadOptions options, SectionFormat format,
        string source, List<string> notes, Func<H5adReader, double?> layoutMicronsPerPixel, double? knownMicronsPerPixel)
    {
        string file = reader.FilePath;
        var dropped = new List<string>();
        int n = reader.ObsCount;
        if (n == 0) throw new InvalidDataException($"{file}: no observations (spots).");
        var duplicateBarcodes = reader.ObsNames.GroupBy(b => b, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (duplicateBarcodes.Length > 0)
            throw new InvalidDataException($"{file}: obs names (barcodes) appear more than once: {SpotTableBuilder.Sample(duplicateBarcodes, duplicateBarcodes.Length)}.");

        AnnDataFrame obs = reader.ReadObs();
        (double[] x, double[] y) = Coordinates(reader, obs);
        var keep = new List<int>();
        var noPosition = new List<string>();
        int outside = 0;
        double[]? inTissue = Numbers(obs, "in_tissue");
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(x[i]) || !double.IsFinite(y[i])) { noPosition.Add(reader.ObsNames[i]); continue; }
            if (inTissue is not null && inTissue[i] == 0 && !options.IncludeOutOfTissue) { outside++; continue; }
            keep.Add(i);
        }
        if (noPosition.Count > 0)
            dropped.Add($"{noPosition.Count} barcode(s) in the counts without a position (non-finite obsm['spatial']): {SpotTableBuilder.Sample(noPosition, noPosition.Count)}");
        if (outside > 0) dropped.Add($"{outside} spot(s) outside the tissue (obs in_tissue = 0)");
        if (keep.Count == 0) throw new InvalidDataException($"{file}: no spot with a position{(outside > 0 ? " under tissue" : "")} is left.");

        string[] barcodes = keep.Select(i => reader.ObsNames[i]).ToArray();
        double[] px = keep.Select(i => x[i]).ToArray();
        double[] py = keep.Select(i => y[i]).ToArray();
        SpotTableBuilder.CheckImageBounds(imagePath, px, py, file);
        double[]? arrayRow = Numbers(obs, "array_row"), arrayCol = Numbers(obs, "array_col");
        int[]? ax = null, ay = null;
        if (arrayRow is not null && arrayCol is not null)
        {
            ax = keep.Select(i => double.IsFinite(arrayCol[i]) ? (int)arrayCol[i] : -1).ToArray();
            ay = keep.Select(i => double.IsFinite(arrayRow[i]) ? (int)arrayRow[i] : -1).ToArray();
        }

        string[]? genes = null;
        float[]? counts = null;
        string? layer = reader.LayerNames.Contains("counts") ? "counts" : null;
        if (reader.XLayout is null && layer is null)
        {
            if (options.RequireCounts) throw new InvalidDataException($"{file}: no X matrix (and no layers['counts']): the file holds no counts.");
        }
        else
        {
            if (layer is not null) notes.Add("counts read from layers['counts'] (X left aside)");
            string[] names = GeneNames.Resolve(reader.VarNames, options.StrictGeneNames, file, notes);
            int[] chosen = GeneNames.Select(names, options.Genes, file, notes);
            if (GeneNames.KeepCounts(chosen, options.RequireCounts, file, notes))
            {
                genes = chosen.Select(k => names[k]).ToArray();
                float[,] block = reader.ReadColumnsAt(chosen, keep, layer);
                counts = new float[block.Length];
                Buffer.BlockCopy(block, 0, counts, 0, block.Length * sizeof(float));
                int bad = Array.FindIndex(counts, v => !float.IsFinite(v));
                if (bad >= 0)
                    throw new InvalidDataException($"{file}: spot {barcodes[bad / genes.Length]}, gene {genes[bad % genes.Length]} has a non-finite count.");
            }
        }

        double? mpp = options.MicronsPerPixel ?? knownMicronsPerPixel ?? layoutMicronsPerPixel(reader);
        if (mpp is { } m && (!(m > 0) || !double.IsFinite(m))) throw new InvalidDataException($"{file}: microns per pixel must be positive, got {m}.");
        if (mpp is null) notes.Add("µm per pixel unknown: give it (MicronsPerPixel / --mpp) before cutting patches of a physical size");
        var data = SpotTableBuilder.Build(barcodes, ax, ay, px, py, new SlideReference(imagePath, mpp), genes, counts);
        return new SpatialSection(data, format, source, mpp, dropped, notes)
        {
            SpotDiameterMicrons = mpp is { } known && ScanpySpotDiameterFullres(reader) is { } fullres ? fullres * known : null,
        };
    }

    private static (double[] X, double[] Y) Coordinates(H5adReader reader, AnnDataFrame obs)
    {
        if (reader.ObsmKeys.Contains("spatial"))
        {
            double[,] xy = reader.ReadObsm("spatial");
            if (xy.GetLength(1) < 2) throw new InvalidDataException($"{reader.FilePath}: obsm['spatial'] has {xy.GetLength(1)} column(s); expected (x, y).");
            int n = xy.GetLength(0);
            var x = new double[n];
            var y = new double[n];
            for (int i = 0; i < n; i++) { x[i] = xy[i, 0]; y[i] = xy[i, 1]; }
            return (x, y);
        }
        if (Numbers(obs, "pxl_col_in_fullres") is { } col && Numbers(obs, "pxl_row_in_fullres") is { } row) return (col, row);
        throw new InvalidDataException(
            $"{reader.FilePath}: no spot coordinates: neither obsm['spatial'] (obsm keys: {string.Join(", ", reader.ObsmKeys)}) nor obs pxl_col_in_fullres/pxl_row_in_fullres.");
    }

    private static double[]? Numbers(AnnDataFrame frame, string name)
    {
        if (!frame.Contains(name)) return null;
        return frame[name] switch
        {
            NumericColumn c => c.Values,
            BooleanColumn b => b.Values.Select(v => v ? 1.0 : 0.0).ToArray(),
            _ => null,
        };
    }

    /// <summary>
    /// µm/px recorded by MlNetStem (<c>uns["mlnetstem"]["microns_per_pixel"]</c> of its own .h5ad files), else 55 µm /
    /// spot_diameter_fullres from scanpy's uns["spatial"][library]["scalefactors"], when there is exactly one library.
    /// </summary>
    internal static double? ScanpyMicronsPerPixel(H5adReader reader)
    {
        var uns = reader.ReadUns();
        if (uns.GetValueOrDefault("mlnetstem") is Dictionary<string, object> ours && Number(ours.GetValueOrDefault("microns_per_pixel")) is double mpp && mpp > 0 && double.IsFinite(mpp))
            return mpp;
        double? diameter = ScanpySpotDiameterFullres(uns);
        return diameter > 0 ? VisiumLoader.SpotDiameterMicrons / diameter : null;
    }

    private static double? ScanpySpotDiameterFullres(H5adReader reader) => ScanpySpotDiameterFullres(reader.ReadUns());

    private static double? ScanpySpotDiameterFullres(Dictionary<string, object> uns)
    {
        if (uns.GetValueOrDefault("spatial") is not Dictionary<string, object> spatial || spatial.Count != 1) return null;
        if (spatial.Values.Single() is not Dictionary<string, object> library) return null;
        if (library.GetValueOrDefault("scalefactors") is not Dictionary<string, object> factors) return null;
        return Number(factors.GetValueOrDefault("spot_diameter_fullres")) is double d && d > 0 && double.IsFinite(d) ? d : null;
    }

    private static double? Number(object? value) => value switch
    {
        double d => d,
        long l => l,
        NumericArray a when a.Data.Length == 1 => a.Data[0],
        _ => null,
    };
}
