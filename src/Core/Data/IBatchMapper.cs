namespace MlNetStem.Data;

/// <summary>
/// Computes a transform's output columns for one input batch. One instance serves one
/// enumeration of a view, so it may hold per-cursor state such as an open slide.
/// </summary>
public interface IBatchMapper : IDisposable
{
    /// <summary>Computes the columns in <paramref name="produce"/> for the rows of <paramref name="input"/>.</summary>
    IReadOnlyDictionary<string, Array> Map(DataBatch input, IReadOnlyCollection<string> produce);
}
