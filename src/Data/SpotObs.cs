using System.Globalization;
using MlNetStem.AnnData;

namespace MlNetStem.Data;

/// <summary>
/// The spot side of an .h5ad written from a spot table: obs indexed by barcode (row numbers when there are none) with
/// array_row/array_col when the table has array positions, and <c>obsm['spatial']</c> = (PixelX, PixelY).
/// </summary>
internal static class SpotObs
{
    /// <exception cref="InvalidDataException">No rows, or barcodes repeat.</exception>
    public static (AnnDataFrame Obs, double[,]? Spatial) Read(IDataView data)
    {
        var schema = data.Schema;
        bool hasBarcode = schema.Find(SpotColumns.Barcode) is { Type.Kind: ColumnKind.Text };
        bool hasPixels = schema.Find(SpotColumns.PixelX) is not null && schema.Find(SpotColumns.PixelY) is not null;
        bool hasArray = schema.Find(SpotColumns.ArrayX) is not null && schema.Find(SpotColumns.ArrayY) is not null;
        var columns = new List<string>();
        if (hasBarcode) columns.Add(SpotColumns.Barcode);
        if (hasPixels) columns.AddRange([SpotColumns.PixelX, SpotColumns.PixelY]);
        if (hasArray) columns.AddRange([SpotColumns.ArrayX, SpotColumns.ArrayY]);
        var barcodes = new List<string>();
        List<double> px = [], py = [], ax = [], ay = [];
        int rows = 0;
        foreach (var batch in data.ReadBatches(columns, 256))
        {
            if (hasBarcode) barcodes.AddRange(batch.GetTexts(SpotColumns.Barcode));
            else barcodes.AddRange(Enumerable.Range(rows, batch.RowCount).Select(i => i.ToString(CultureInfo.InvariantCulture)));
            if (hasPixels)
            {
                px.AddRange(batch.GetNumbersAsDoubles(SpotColumns.PixelX));
                py.AddRange(batch.GetNumbersAsDoubles(SpotColumns.PixelY));
            }
            if (hasArray)
            {
                ax.AddRange(batch.GetNumbersAsDoubles(SpotColumns.ArrayX));
                ay.AddRange(batch.GetNumbersAsDoubles(SpotColumns.ArrayY));
            }
            rows += batch.RowCount;
        }
        if (rows == 0) throw new InvalidDataException("No spots to write (the view has no rows).");
        var obs = new AnnDataFrame(barcodes);
        var duplicates = obs.DuplicateIndexValues();
        if (duplicates.Count > 0)
            throw new InvalidDataException($"Barcodes repeat, so they cannot index obs: {SpotTableBuilder.Sample(duplicates, duplicates.Count)}.");
        if (hasArray)
        {
            obs.Add(new NumericColumn("array_row", ay.ToArray(), isInteger: true));
            obs.Add(new NumericColumn("array_col", ax.ToArray(), isInteger: true));
        }
        double[,]? spatial = null;
        if (hasPixels)
        {
            spatial = new double[rows, 2];
            for (int i = 0; i < rows; i++) { spatial[i, 0] = px[i]; spatial[i, 1] = py[i]; }
        }
        return (obs, spatial);
    }
}
