namespace MlNetStem.Data;

/// <summary>Builds the folds of a <see cref="CohortSplit"/> protocol over a list of sections.</summary>
public static class CohortSplits
{
    /// <summary>The folds of <paramref name="split"/> over <paramref name="sections"/>, in the sections' order.</summary>
    /// <exception cref="ArgumentException">
    /// Fewer than two sections, repeated names, a patient protocol with a section lacking its patient or a single patient,
    /// or a manifest split whose train or test side is empty or holds another word.
    /// </exception>
    public static IReadOnlyList<CohortFold> Make(IReadOnlyList<SectionEntry> sections, CohortSplit split)
    {
        ArgumentNullException.ThrowIfNull(sections);
        if (sections.Count < 2) throw new ArgumentException($"A benchmark needs at least two sections (got {sections.Count}).", nameof(sections));
        var names = sections.Select(s => s.Name).ToArray();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new ArgumentException($"Section names repeat ({string.Join(", ", names)}); give each section its own name in a manifest.", nameof(sections));
        return split switch
        {
            CohortSplit.LeaveOneSectionOut => names.Select(test => new CohortFold(test, names.Where(n => n != test).ToArray(), [test])).ToArray(),
            CohortSplit.LeaveOnePatientOut => ByPatient(sections),
            CohortSplit.Manifest => FromManifest(sections),
            _ => throw new ArgumentOutOfRangeException(nameof(split), split, null),
        };
    }

    private static CohortFold[] ByPatient(IReadOnlyList<SectionEntry> sections)
    {
        var missing = sections.Where(s => string.IsNullOrWhiteSpace(s.Patient)).Select(s => s.Name).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"leave-one-patient-out needs a patient id for every section; none for {string.Join(", ", missing)} " +
                "(give them in a manifest's 'patient' column).");
        var patients = sections.Select(s => s.Patient!).Distinct(StringComparer.Ordinal).ToArray();
        if (patients.Length < 2) throw new ArgumentException($"leave-one-patient-out needs at least two patients; every section is of patient '{patients[0]}'.");
        return patients.Select(p => new CohortFold($"patient {p}",
            sections.Where(s => s.Patient != p).Select(s => s.Name).ToArray(),
            sections.Where(s => s.Patient == p).Select(s => s.Name).ToArray())).ToArray();
    }

    private static CohortFold[] FromManifest(IReadOnlyList<SectionEntry> sections)
    {
        var odd = sections.Where(s => s.Split is not ("train" or "test")).Select(s => $"{s.Name} ('{s.Split ?? ""}')").ToArray();
        if (odd.Length > 0)
            throw new ArgumentException($"--split manifest needs 'train' or 'test' in the manifest's 'split' column for every section; not for {string.Join(", ", odd)}.");
        var train = sections.Where(s => s.Split == "train").Select(s => s.Name).ToArray();
        var test = sections.Where(s => s.Split == "test").Select(s => s.Name).ToArray();
        if (train.Length == 0 || test.Length == 0)
            throw new ArgumentException($"The manifest's split has {train.Length} training and {test.Length} test sections; it needs at least one of each.");
        return [new CohortFold("manifest", train, test)];
    }
}
