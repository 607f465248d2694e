using System.Diagnostics;
using Xunit.Sdk;

namespace MlNetStem.TestKit;

/// <summary>
/// Runs a child process to completion with a time limit. On timeout the whole process tree is killed (never left running
/// behind the test) and the test fails with the command and what the child wrote to stderr so far.
/// </summary>
public static class ChildProcess
{
    /// <summary>The default limit: generous, because CI machines are slow and shared; it only catches hangs.</summary>
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromMinutes(5);

    /// <summary>Runs <paramref name="fileName"/> with <paramref name="args"/>; returns its exit code, stdout and stderr.</summary>
    /// <param name="fileName">Program to start.</param>
    /// <param name="args">Arguments, passed without shell parsing.</param>
    /// <param name="limit">Time limit (default <see cref="DefaultLimit"/>).</param>
    /// <param name="environment">Variables to set in the child.</param>
    /// <exception cref="XunitException">The child ran past the limit (it has been killed).</exception>
    public static (int Code, string Out, string Err) Run(string fileName, IEnumerable<string> args, TimeSpan? limit = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new XunitException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var wait = limit ?? DefaultLimit;
        if (!process.WaitForExit(wait))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new XunitException($"{fileName} {string.Join(' ', start.ArgumentList)} ran past {wait.TotalSeconds:0} s and was killed; " +
                $"stderr: {stderr.Result}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a .NET program (a .dll) with <c>dotnet</c>.</summary>
    public static (int Code, string Out, string Err) RunDotnet(string dll, IEnumerable<string> args, TimeSpan? limit = null,
        IReadOnlyDictionary<string, string>? environment = null) =>
        Run("dotnet", [dll, .. args], limit, environment);
}
