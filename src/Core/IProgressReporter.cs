namespace MlNetStem;

/// <summary>Receives progress from long-running steps (patch loading, training, sampling).</summary>
public interface IProgressReporter
{
    /// <summary>Starts a stage; dispose the returned scope when the stage ends.</summary>
    /// <param name="stage">What is being done, e.g. "featurizing patches".</param>
    /// <param name="total">Units of work expected, when known.</param>
    IProgressScope Start(string stage, long? total);
}
