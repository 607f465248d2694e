namespace MlNetStem.Host;

/// <summary>The command line is wrong (unknown option, missing value); exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
