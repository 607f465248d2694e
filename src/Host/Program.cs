using MlNetStem;
using MlNetStem.Data;
using MlNetStem.Host;
using MlNetStem.Host.Commands;
using MlNetStem.Model;

ICommand[] commands =
[
    new DemoCommand(), new TrainCommand(), new PredictCommand(), new EvaluateCommand(), new BenchmarkCommand(), new ExportCommand(),
    new InspectCommand(), new ReportCommand(), new FeaturizeCommand(), new MapCommand(), new NucleiCommand(),
];

if (args is ["--version"] or ["version"])
{
    Console.WriteLine(VersionInfo.Describe());
    return 0;
}

if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
{
    Console.WriteLine("mlnetstem: H&E histology → spatial gene expression\n");
    Console.WriteLine("usage: mlnetstem <command> [options]   (mlnetstem <command> --help for its options; mlnetstem --version)");
    Console.WriteLine("       every command also takes --threads N: at most N CPU threads (default: every core)\n");
    foreach (var c in commands) Console.WriteLine($"  {c.Name,-10} {c.Summary}");
    return args.Length == 0 ? 2 : 0;
}
var command = commands.FirstOrDefault(c => c.Name == args[0]);
if (command is null)
{
    Console.Error.WriteLine($"mlnetstem: unknown command '{args[0]}' (commands: {string.Join(", ", commands.Select(c => c.Name))})");
    return 2;
}
var rest = args.Skip(1).ToArray();
// --threads N applies to every command, so it is read here rather than by each command.
int threadsAt = Array.FindIndex(rest, a => a == "--threads" || a.StartsWith("--threads=", StringComparison.Ordinal));
if (threadsAt >= 0)
{
    string? value = rest[threadsAt].Contains('=') ? rest[threadsAt][(rest[threadsAt].IndexOf('=') + 1)..]
        : threadsAt + 1 < rest.Length ? rest[threadsAt + 1] : null;
    if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int threads) || threads is < 1 or > 1024)
    {
        Console.Error.WriteLine($"mlnetstem {command.Name}: '--threads {value}': give a whole number of threads, 1–1024");
        return 2;
    }
    ComputeThreads.SetLimit(threads);
    rest = [.. rest[..threadsAt], .. rest[(threadsAt + (rest[threadsAt].Contains('=') ? 1 : 2))..]];
}
if (rest.Contains("--help") || rest.Contains("-h"))
{
    Console.WriteLine($"usage: mlnetstem {command.Name} [options]\n\n{command.Summary}\n\noptions:");
    foreach (var o in command.Options)
    {
        string left = o.ValueName is null ? $"--{o.Name}" : $"--{o.Name} {o.ValueName}";
        Console.WriteLine($"  {left,-28} {o.Help}{(o.Default is null ? "" : $" (default: {o.Default})")}");
    }
    Console.WriteLine($"  {"--threads N",-28} at most N CPU threads for patches, features, ONNX Runtime, libvips and diffusion workers (default: every core)");
    return 0;
}
try
{
    return command.Run(new ParsedArguments(rest, command.Options, command.MaxPositional));
}
catch (UsageException e)
{
    Console.Error.WriteLine($"mlnetstem {command.Name}: {e.Message}");
    return 2;
}
catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or ModelFormatException
    or SchemaMismatchException or UnauthorizedAccessException or NotSupportedException or DllNotFoundException or InvalidOperationException
    or MlNetStem.Hdf5.Hdf5Exception or MlNetStem.AnnData.AnnDataFormatException or MlNetStem.Onnx.OnnxRuntimeException)
{
    // One line, the reason; no stack trace for bad input.
    Console.Error.WriteLine($"mlnetstem {command.Name}: error: {e.Message.ReplaceLineEndings(" ")}");
    return 1;
}
