using MlNetStem.Data;
using MlNetStem.Host;
using MlNetStem.Host.Commands;
using MlNetStem.Model;

ICommand[] commands =
[
    new DemoCommand(), new TrainCommand(), new PredictCommand(), new EvaluateCommand(), new BenchmarkCommand(), new ExportCommand(),
    new InspectCommand(), new FeaturizeCommand(),
];

if (args is ["--version"] or ["version"])
{
    Console.WriteLine(VersionInfo.Describe());
    return 0;
}

if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
{
    Console.WriteLine("mlnetstem: H&E histology → spatial gene expression\n");
    Console.WriteLine("usage: mlnetstem <command> [options]   (mlnetstem <command> --help for its options; mlnetstem --version)\n");
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
if (rest.Contains("--help") || rest.Contains("-h"))
{
    Console.WriteLine($"usage: mlnetstem {command.Name} [options]\n\n{command.Summary}\n\noptions:");
    foreach (var o in command.Options)
    {
        string left = o.ValueName is null ? $"--{o.Name}" : $"--{o.Name} {o.ValueName}";
        Console.WriteLine($"  {left,-28} {o.Help}{(o.Default is null ? "" : $" (default: {o.Default})")}");
    }
    return 0;
}
try
{
    return command.Run(new ParsedArguments(rest, command.Options));
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
