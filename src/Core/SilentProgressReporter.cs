namespace MlNetStem;

/// <summary>Discards progress; the default for library use.</summary>
public sealed class SilentProgressReporter : IProgressReporter, IProgressScope
{
    /// <summary>The single instance.</summary>
    public static SilentProgressReporter Instance { get; } = new();

    private SilentProgressReporter() { }

    /// <inheritdoc />
    public IProgressScope Start(string stage, long? total) => this;

    /// <inheritdoc />
    public void Advance(long units = 1) { }

    /// <inheritdoc />
    public void SetStatus(string status) { }

    /// <inheritdoc />
    public void Dispose() { }
}
