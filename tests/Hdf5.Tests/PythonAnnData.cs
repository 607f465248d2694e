using System.Diagnostics;

namespace MlNetStem.Hdf5.Tests;

/// <summary>Runs the system Python (/usr/bin/python3) with the real anndata for interoperability checks.</summary>
public static class PythonAnnData
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Problem = new(Probe);

    /// <summary>Fails the calling test (never skips) when Python or anndata is unavailable.</summary>
    public static void Require()
    {
        if (Problem.Value is { } problem)
            Assert.Fail($"AnnData interoperability tests need {Python} with anndata, h5py and scipy ({problem}). Run scripts/setup.sh to install python3-anndata and python3-h5py.");
    }

    public static string ScriptPath(string name) => Path.Combine(AppContext.BaseDirectory, "Python", name);

    /// <summary>Runs a script from the Python folder; returns exit code and combined output.</summary>
    public static (int ExitCode, string Output) Run(string script, params string[] args) =>
        Start([ScriptPath(script), .. args]);

    /// <summary>Runs a Python snippet (python3 -c CODE ARGS...); returns exit code and combined output.</summary>
    public static (int ExitCode, string Output) RunCode(string code, params string[] args) => Start(["-c", code, .. args]);

    private static (int ExitCode, string Output) Start(string[] arguments)
    {
        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        psi.Environment["PYTHONWARNINGS"] = "ignore";
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            return (-1, stdout + "\n(timed out after 60 s)");
        }
        return (p.ExitCode, stdout + stderr.Result);
    }

    private static string? Probe()
    {
        if (!File.Exists(Python)) return $"{Python} does not exist";
        try
        {
            var psi = new ProcessStartInfo(Python, ["-c", "import anndata, h5py, scipy, pandas; print(anndata.__version__)"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using Process p = Process.Start(psi)!;
            Task<string> err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit(30_000);
            return p.ExitCode == 0 ? null : $"import failed: {err.Result.Trim().Split('\n').LastOrDefault()}";
        }
        catch (Exception ex)
        {
            return ex.Message;
        }
    }
}
