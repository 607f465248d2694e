namespace MlNetStem.Reliability.Tests;

/// <summary>What a mutated input did: accepted, refused the way the CLI reports bad input, or a bug.</summary>
internal enum FuzzOutcome
{
    /// <summary>Read without error (the mutation did not matter, or was not detectable).</summary>
    Accepted,

    /// <summary>Refused with an exception the CLI turns into "error: ..." and exit 1.</summary>
    ClearError,

    /// <summary>Any other exception: the CLI would crash with a stack trace.</summary>
    Bug,

    /// <summary>The read did not finish in time, inside a native library that cannot be interrupted (see docs/RELIABILITY.md).</summary>
    Hang,
}
