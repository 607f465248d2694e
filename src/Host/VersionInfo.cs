using System.Reflection;

namespace MlNetStem.Host;

/// <summary>The versions behind a run: MlNetStem itself and the engines it loads.</summary>
public static class VersionInfo
{
    /// <summary>MlNetStem's informational version (from the build).</summary>
    public static string MlNetStem =>
        typeof(VersionInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>One line for <c>mlnetstem --version</c>: MlNetStem, Microsoft.ML, ONNX Runtime and libtorch versions.</summary>
    public static string Describe()
    {
        string mlnet = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        string onnx, torch;
        try { onnx = global::MlNetStem.Onnx.OnnxRuntime.Version; } catch (Exception e) when (e is DllNotFoundException or TypeInitializationException) { onnx = "not loadable"; }
        try { torch = global::MlNetStem.Torch.TorchThreads.LibTorchVersion.ToString(); } catch (Exception e) when (e is DllNotFoundException or TypeInitializationException) { torch = "not loadable"; }
        return $"mlnetstem {MlNetStem} (Microsoft.ML {mlnet.Split('+')[0]}, ONNX Runtime {onnx}, libtorch {torch}, .NET {Environment.Version})";
    }
}
