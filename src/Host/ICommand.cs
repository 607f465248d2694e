namespace MlNetStem.Host;

/// <summary>A subcommand of the CLI.</summary>
public interface ICommand
{
    /// <summary>Name typed on the command line.</summary>
    string Name { get; }

    /// <summary>One-line summary for the command list.</summary>
    string Summary { get; }

    /// <summary>Options it accepts.</summary>
    IReadOnlyList<CommandOption> Options { get; }

    /// <summary>Arguments it accepts without an option name (0 for most commands).</summary>
    int MaxPositional => 0;

    /// <summary>Runs the command; returns the exit code.</summary>
    int Run(ParsedArguments args);
}
