using System.Globalization;

namespace MlNetStem.Host;

/// <summary>Options given on the command line, checked against what the command accepts.</summary>
public sealed class ParsedArguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    /// <summary>Arguments given without an option name, in order.</summary>
    public IReadOnlyList<string> Positional => _positional;

    /// <summary>Parses <paramref name="args"/>.</summary>
    /// <param name="args">The arguments after the command name.</param>
    /// <param name="options">The options the command accepts.</param>
    /// <param name="maxPositional">Arguments without an option name the command accepts.</param>
    /// <exception cref="UsageException">Unknown option, missing value, or a stray argument.</exception>
    public ParsedArguments(IReadOnlyList<string> args, IReadOnlyList<CommandOption> options, int maxPositional = 0)
    {
        var known = options.ToDictionary(o => o.Name, StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (_positional.Count >= maxPositional) throw new UsageException($"unexpected argument '{arg}'");
                _positional.Add(arg);
                continue;
            }
            string name = arg[2..];
            string? inline = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
            if (!known.TryGetValue(name, out var option))
                throw new UsageException($"unknown option '--{name}' (see --help)");
            if (option.ValueName is null)
            {
                _flags.Add(name);
                continue;
            }
            string value = inline ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"option '--{name}' needs a value"));
            if (!_values.TryGetValue(name, out var list)) _values[name] = list = new List<string>();
            list.Add(value);
        }
    }

    /// <summary>True when a flag was given.</summary>
    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>The last value of an option, or <paramref name="fallback"/>.</summary>
    public string? Get(string name, string? fallback = null) =>
        _values.TryGetValue(name, out var v) ? v[^1] : fallback;

    /// <summary>Every value of a repeatable option, in order.</summary>
    public IReadOnlyList<string> GetAll(string name) => _values.TryGetValue(name, out var v) ? v : [];

    /// <summary>A required option's value.</summary>
    /// <exception cref="UsageException">Not given.</exception>
    public string Require(string name) => Get(name) ?? throw new UsageException($"option '--{name}' is required");

    /// <summary>An integer option.</summary>
    /// <exception cref="UsageException">Not an integer.</exception>
    public int GetInt(string name, int fallback) => Get(name) is { } s
        ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new UsageException($"'--{name} {s}': not an integer")
        : fallback;

    /// <summary>A number option.</summary>
    /// <exception cref="UsageException">Not a number.</exception>
    public double? GetDouble(string name, double? fallback = null) => Get(name) is { } s
        ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : throw new UsageException($"'--{name} {s}': not a number")
        : fallback;
}
