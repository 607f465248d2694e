namespace MlNetStem.Data;

/// <summary>Gene-name hygiene shared by the loaders.</summary>
internal static class GeneNames
{
    /// <summary>
    /// Makes names unique the way anndata/scanpy's <c>var_names_make_unique</c> does: the first
    /// occurrence keeps its name, later ones get "-1", "-2", ... (skipping names already taken).
    /// </summary>
    /// <returns>The unique names and the names that were duplicated (empty when none).</returns>
    public static (string[] Names, string[] Duplicated) MakeUnique(IReadOnlyList<string> names)
    {
        var result = names.ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var duplicatePositions = new List<int>();
        for (int i = 0; i < result.Length; i++)
            if (!seen.Add(result[i])) duplicatePositions.Add(i);
        if (duplicatePositions.Count == 0) return (result, []);
        var taken = new HashSet<string>(result, StringComparer.Ordinal);
        var counter = new Dictionary<string, int>(StringComparer.Ordinal);
        var duplicated = new List<string>();
        foreach (int i in duplicatePositions)
        {
            string name = result[i];
            if (!counter.ContainsKey(name)) duplicated.Add(name);
            while (true)
            {
                int n = counter[name] = counter.GetValueOrDefault(name) + 1;
                string candidate = $"{name}-{n}";
                if (taken.Add(candidate))
                {
                    result[i] = candidate;
                    break;
                }
            }
        }
        return (result, duplicated.ToArray());
    }

    /// <summary>
    /// Applies the duplicate policy: strict → error naming the duplicates; otherwise renamed,
    /// with a note for the section.
    /// </summary>
    /// <exception cref="InvalidDataException">Strict and some names repeat.</exception>
    public static string[] Resolve(IReadOnlyList<string> names, bool strict, string source, List<string> notes)
    {
        var (unique, duplicated) = MakeUnique(names);
        if (duplicated.Length == 0) return unique;
        string list = string.Join(", ", duplicated.Take(10)) + (duplicated.Length > 10 ? $" (and {duplicated.Length - 10} more)" : "");
        if (strict)
            throw new InvalidDataException($"{source}: {duplicated.Length} gene name(s) appear more than once: {list}.");
        notes.Add($"{duplicated.Length} duplicated gene name(s) made unique by appending -1, -2, ... (as scanpy's var_names_make_unique): {list}");
        return unique;
    }

    /// <summary>
    /// Positions of <paramref name="wanted"/> in <paramref name="names"/> (genes absent from the
    /// data are left out and noted), or every position when <paramref name="wanted"/> is null.
    /// </summary>
    public static int[] Select(string[] names, IReadOnlyList<string>? wanted, string source, List<string> notes)
    {
        if (wanted is null) return Enumerable.Range(0, names.Length).ToArray();
        var position = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        for (int i = 0; i < names.Length; i++) position.TryAdd(names[i], i);
        var chosen = new List<int>();
        var missing = new List<string>();
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        foreach (string g in wanted)
        {
            if (!distinct.Add(g)) continue;
            if (position.TryGetValue(g, out int p)) chosen.Add(p);
            else missing.Add(g);
        }
        if (missing.Count > 0)
            notes.Add($"{missing.Count} of {distinct.Count} requested gene(s) are absent from {source}: {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", ..." : "")}");
        return chosen.ToArray();
    }

    /// <summary>
    /// Whether a counts column can be built from <paramref name="chosen"/> genes: none chosen is an error when
    /// counts are required, otherwise the section loads without counts (noted).
    /// </summary>
    /// <exception cref="InvalidDataException">No gene was chosen and counts are required.</exception>
    public static bool KeepCounts(int[] chosen, bool required, string source, List<string> notes)
    {
        if (chosen.Length > 0) return true;
        if (required) throw new InvalidDataException($"{source}: none of the requested genes is present, so there are no counts to load.");
        notes.Add("none of the requested genes is present: loaded without counts");
        return false;
    }
}
