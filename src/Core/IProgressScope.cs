namespace MlNetStem;

/// <summary>One running stage of work.</summary>
public interface IProgressScope : IDisposable
{
    /// <summary>Records that <paramref name="units"/> more units are done.</summary>
    void Advance(long units = 1);

    /// <summary>Sets a short status, e.g. the current loss.</summary>
    void SetStatus(string status);
}
