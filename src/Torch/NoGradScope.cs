using MlNetStem.Torch.Interop;

namespace MlNetStem.Torch;

/// <summary>
/// Turns autograd recording off on this thread until disposed (like <c>torch.no_grad()</c>);
/// the previous mode is restored, so scopes nest.
/// </summary>
/// <example><code>using (new NoGradScope()) { var y = model.Forward(x); }</code></example>
public sealed class NoGradScope : IDisposable
{
    private readonly bool _previous;
    private bool _disposed;

    /// <summary>Disables gradient recording on the current thread.</summary>
    public NoGradScope()
    {
        Status.Check(NativeMethods.mst_set_grad_enabled(0, out var previous), "set_grad_enabled");
        _previous = previous != 0;
    }

    /// <summary>Whether autograd currently records operations on this thread.</summary>
    public static bool IsGradEnabled
    {
        get
        {
            Status.Check(NativeMethods.mst_set_grad_enabled(1, out var previous), "set_grad_enabled");
            Status.Check(NativeMethods.mst_set_grad_enabled(previous, out _), "set_grad_enabled");
            return previous != 0;
        }
    }

    /// <summary>Restores the mode that was active when the scope opened.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Status.Check(NativeMethods.mst_set_grad_enabled(_previous ? 1 : 0, out _), "set_grad_enabled");
    }
}
