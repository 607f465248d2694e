namespace MlNetStem.Data;

/// <summary>How a cohort of sections is split into training and test folds (see <see cref="CohortSplits"/>).</summary>
public enum CohortSplit
{
    /// <summary>One fold per section: test on it, train on every other section (Stem's and HisDiff's protocol).</summary>
    LeaveOneSectionOut,

    /// <summary>One fold per patient: test on all of that patient's sections, train on the other patients' (grouped
    /// cross-validation, as TRIPLEX does by patient).</summary>
    LeaveOnePatientOut,

    /// <summary>A single fold given by the manifest's <c>split</c> column (train / test), as HEST-Benchmark's fixed splits.</summary>
    Manifest,
}
