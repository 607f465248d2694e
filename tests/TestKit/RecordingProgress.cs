using MlNetStem;

namespace MlNetStem.TestKit;

/// <summary>Remembers every stage, advance and status it is given.</summary>
public sealed class RecordingProgress : IProgressReporter
{
    public List<(string Stage, long? Total)> Stages { get; } = new();

    public List<string> Statuses { get; } = new();

    public Dictionary<string, long> Advanced { get; } = new();

    public IProgressScope Start(string stage, long? total)
    {
        Stages.Add((stage, total));
        return new Scope(this, stage);
    }

    private sealed class Scope(RecordingProgress owner, string stage) : IProgressScope
    {
        public void Advance(long units = 1) => owner.Advanced[stage] = owner.Advanced.GetValueOrDefault(stage) + units;

        public void SetStatus(string status) => owner.Statuses.Add(status);

        public void Dispose() { }
    }
}
