using System.Globalization;

namespace MlNetStem.Data;

/// <summary>Builds the standard spot table (see <see cref="SpotColumns"/>) and checks it against its image.</summary>
internal static class SpotTableBuilder
{
    /// <summary>Assembles the columns; array positions and counts are optional.</summary>
    public static InMemoryDataView Build(string[] barcodes, int[]? arrayX, int[]? arrayY, double[] pixelX, double[] pixelY,
        SlideReference image, string[]? genes, float[]? counts)
    {
        int n = barcodes.Length;
        var columns = new List<DataViewSchema.DetachedColumn> { SchemaColumns.Create(SpotColumns.Barcode, ColumnTypes.Text) };
        var arrays = new Dictionary<string, Array> { [SpotColumns.Barcode] = barcodes };
        if (arrayX is not null && arrayY is not null)
        {
            columns.Add(SchemaColumns.Create(SpotColumns.ArrayX, ColumnTypes.Int32));
            columns.Add(SchemaColumns.Create(SpotColumns.ArrayY, ColumnTypes.Int32));
            arrays[SpotColumns.ArrayX] = arrayX;
            arrays[SpotColumns.ArrayY] = arrayY;
        }
        columns.Add(SchemaColumns.Create(SpotColumns.PixelX, ColumnTypes.Float64));
        columns.Add(SchemaColumns.Create(SpotColumns.PixelY, ColumnTypes.Float64));
        columns.Add(SchemaColumns.Create(SpotColumns.Image, ColumnTypes.Image));
        arrays[SpotColumns.PixelX] = pixelX;
        arrays[SpotColumns.PixelY] = pixelY;
        arrays[SpotColumns.Image] = Enumerable.Repeat(image, n).ToArray();
        if (genes is not null && counts is not null)
        {
            columns.Add(SchemaColumns.Create(SpotColumns.Counts, ColumnTypes.FloatTensor(genes.Length), genes));
            arrays[SpotColumns.Counts] = counts;
        }
        return new InMemoryDataView(columns, n, arrays);
    }

    /// <summary>
    /// Fails when spot centres lie outside the image: the image is then smaller than the spot grid
    /// implies (a low-resolution image with full-resolution coordinates, or the wrong file).
    /// Formats whose header cannot be read are not checked.
    /// </summary>
    /// <exception cref="InvalidDataException">Some spots are outside; the message gives how many and the sizes.</exception>
    public static void CheckImageBounds(string imagePath, double[] pixelX, double[] pixelY, string source)
    {
        if (ImageHeader.TryReadSize(imagePath) is not { } size || pixelX.Length == 0) return;
        int outside = 0;
        for (int i = 0; i < pixelX.Length; i++)
            if (pixelX[i] < -0.5 || pixelY[i] < -0.5 || pixelX[i] > size.Width - 0.5 || pixelY[i] > size.Height - 0.5) outside++;
        if (outside == 0) return;
        string reach = string.Create(CultureInfo.InvariantCulture, $"x = {pixelX.Max():0}, y = {pixelY.Max():0}");
        throw new InvalidDataException(
            $"{source}: {outside} of {pixelX.Length} spot(s) lie outside the {size.Width}×{size.Height} image '{imagePath}' " +
            $"(spots reach {reach}): the image is smaller than the spot grid implies. " +
            "Use the image the coordinates refer to (e.g. the full-resolution image), or check the scale factor.");
    }

    /// <summary>Copies rows <paramref name="rows"/> of a row-major matrix with <paramref name="width"/> columns.</summary>
    public static T[] TakeRows<T>(T[] source, int width, IReadOnlyList<int> rows)
    {
        var result = new T[(long)rows.Count * width];
        for (int i = 0; i < rows.Count; i++) Array.Copy(source, (long)rows[i] * width, result, (long)i * width, width);
        return result;
    }

    /// <summary>Summarises up to ten identifiers for a message.</summary>
    public static string Sample(IEnumerable<string> ids, int total) =>
        string.Join(", ", ids.Take(10)) + (total > 10 ? ", ..." : "");
}
