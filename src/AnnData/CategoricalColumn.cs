namespace MlNetStem.AnnData;

/// <summary>A pandas categorical: distinct categories plus one code per row, -1 meaning missing.</summary>
public sealed class CategoricalColumn : AnnColumn
{
    /// <summary>Creates the column after checking every code (arrays not copied).</summary>
    /// <exception cref="ArgumentException">A code is below -1 or not a category index, or categories repeat.</exception>
    public CategoricalColumn(string name, string[] categories, int[] codes, bool ordered = false) : base(name)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(codes);
        if (categories.Distinct(StringComparer.Ordinal).Count() != categories.Length)
            throw new ArgumentException($"Categorical '{name}' has repeated categories.", nameof(categories));
        foreach (int code in codes)
            if (code < -1 || code >= categories.Length)
                throw new ArgumentException($"Categorical '{name}': code {code} outside [-1, {categories.Length}).", nameof(codes));
        Categories = categories;
        Codes = codes;
        Ordered = ordered;
    }

    /// <summary>Builds a categorical from values (null = missing); categories in first-seen order unless sorted.</summary>
    public static CategoricalColumn FromValues(string name, IReadOnlyList<string?> values, bool sortCategories = true)
    {
        ArgumentNullException.ThrowIfNull(values);
        var distinct = values.Where(v => v is not null).Select(v => v!).Distinct(StringComparer.Ordinal).ToList();
        if (sortCategories) distinct.Sort(StringComparer.Ordinal);
        var lookup = distinct.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i, StringComparer.Ordinal);
        int[] codes = values.Select(v => v is null ? -1 : lookup[v]).ToArray();
        return new CategoricalColumn(name, distinct.ToArray(), codes);
    }

    /// <summary>Distinct category labels.</summary>
    public string[] Categories { get; }

    /// <summary>Category index per row; -1 is missing.</summary>
    public int[] Codes { get; }

    /// <summary>True for an ordered categorical.</summary>
    public bool Ordered { get; }

    /// <inheritdoc/>
    public override int Count => Codes.Length;

    /// <summary>Label at <paramref name="row"/>, null when missing.</summary>
    public string? ValueAt(int row) => Codes[row] < 0 ? null : Categories[Codes[row]];

    /// <inheritdoc/>
    public override string? FormatValue(int row) => ValueAt(row);
}
