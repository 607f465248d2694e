namespace MlNetStem.Data;

/// <summary>
/// Stacks loaded sections into one spot table, so a pipeline trains on a cohort. Each spot keeps its own image and
/// µm/px (patch transforms open every slide they meet); counts are put on the union of the sections' genes, a gene a
/// section did not measure counting as zero there — reported in <see cref="CombinedSections.Notes"/>, never silent.
/// </summary>
public static class SectionCombiner
{
    /// <summary>Combines <paramref name="sections"/> named <paramref name="names"/> (e.g. their folder names).</summary>
    /// <exception cref="ArgumentException">No section, names that do not match the sections, or a repeated name.</exception>
    /// <exception cref="InvalidDataException">Some sections have counts and others do not.</exception>
    public static CombinedSections Combine(IReadOnlyList<SpatialSection> sections, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(sections);
        var (data, notes) = Combine(sections.Select(s => s.Data).ToArray(), names);
        return new CombinedSections(data, sections, notes);
    }

    /// <summary>
    /// Combines spot tables of several sections (e.g. sections already featurized, as a benchmark caches them) the same way:
    /// shared columns, <see cref="SpotColumns.Counts"/> over the union of genes, a <see cref="SpotColumns.Section"/> column.
    /// </summary>
    /// <exception cref="ArgumentException">No table, names that do not match the tables, or a repeated name.</exception>
    /// <exception cref="InvalidDataException">Some tables have counts and others do not.</exception>
    public static (InMemoryDataView Data, IReadOnlyList<string> Notes) Combine(IReadOnlyList<InMemoryDataView> tables, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        var sections = tables;
        if (sections.Count == 0) throw new ArgumentException("No section to combine.", nameof(tables));
        if (names.Count != sections.Count) throw new ArgumentException($"{names.Count} names for {sections.Count} sections.", nameof(names));
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
            throw new ArgumentException($"Section names repeat ({string.Join(", ", names)}); give each section its own name.", nameof(names));
        var notes = new List<string>();
        var schemas = sections.Select(s => s.Schema).ToArray();
        int withCounts = schemas.Count(s => s.Find(SpotColumns.Counts) is not null);
        if (withCounts != 0 && withCounts != sections.Count)
            throw new InvalidDataException($"{withCounts} of {sections.Count} sections have counts: combine sections that all have counts " +
                "(training) or none (prediction).");

        // Columns every section has, in the first section's order (Counts handled apart).
        var shared = schemas[0].Visible().Select(c => c.Name)
            .Where(n => n != SpotColumns.Counts && schemas.All(s => s.Find(n) is { } c && c.Type.Equals(schemas[0][n].Type))).ToList();
        foreach (var name in schemas.SelectMany(s => s.Visible().Select(c => c.Name)).Distinct().Except(shared).Where(n => n != SpotColumns.Counts))
            notes.Add($"column '{name}' is left out: not every section has it");

        int total = sections.Sum(s => s.Rows);
        var columns = new List<DataViewSchema.DetachedColumn> { SchemaColumns.Create(SpotColumns.Section, ColumnTypes.Text) };
        var arrays = new Dictionary<string, Array>
        {
            [SpotColumns.Section] = sections.SelectMany((s, i) => Enumerable.Repeat(names[i], s.Rows)).ToArray(),
        };
        foreach (var name in shared)
        {
            var type = schemas[0][name].Type;
            columns.Add(SchemaColumns.Create(name, type));
            arrays[name] = DataViewMaterializer.Concat(sections.Select(s => s.GetColumnArray(name)).ToArray(), ColumnTypes.BatchArrayType(type).GetElementType()!);
        }
        if (withCounts > 0)
        {
            var genes = UnionOfGenes(schemas, names, notes);
            var index = genes.Select((g, i) => (g, i)).ToDictionary(p => p.g, p => p.i, StringComparer.Ordinal);
            var counts = new float[(long)total * genes.Count];
            long row = 0;
            foreach (var section in sections)
            {
                var own = section.Schema[SpotColumns.Counts].SlotNames!;
                var values = (float[])section.GetColumnArray(SpotColumns.Counts);
                var target = own.Select(g => index[g]).ToArray();
                for (int r = 0; r < section.Rows; r++, row++)
                    for (int j = 0; j < own.Count; j++)
                        counts[row * genes.Count + target[j]] = values[(long)r * own.Count + j];
            }
            columns.Add(SchemaColumns.Create(SpotColumns.Counts, ColumnTypes.FloatTensor(genes.Count), genes));
            arrays[SpotColumns.Counts] = counts;
        }
        return (new InMemoryDataView(columns, total, arrays), notes);
    }

    private static List<string> UnionOfGenes(DataViewSchema[] schemas, IReadOnlyList<string> names, List<string> notes)
    {
        var perSection = schemas.Select(s => s[SpotColumns.Counts].SlotNames ?? throw new InvalidDataException("Counts without gene names.")).ToArray();
        var union = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var genes in perSection)
            foreach (var g in genes)
                if (seen.Add(g)) union.Add(g);
        for (int i = 0; i < perSection.Length; i++)
        {
            var own = perSection[i].ToHashSet(StringComparer.Ordinal);
            var missing = union.Where(g => !own.Contains(g)).ToArray();
            if (missing.Length > 0)
                notes.Add($"section {names[i]} lacks {missing.Length} of the {union.Count} genes of the combined sections; they count as zero there " +
                    $"({string.Join(", ", missing.Take(8))}{(missing.Length > 8 ? ", ..." : "")})");
        }
        return union;
    }
}
