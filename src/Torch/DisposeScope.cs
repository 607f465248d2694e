namespace MlNetStem.Torch;

/// <summary>
/// Collects the tensors created on this thread while it is the innermost open scope and
/// disposes them when the scope ends, so loops of temporaries never wait for the finalizer.
/// Keep a result with <see cref="Tensor.MoveToOuterScope"/> or <see cref="Tensor.DetachFromDisposeScope"/>.
/// </summary>
/// <example>
/// <code>
/// Tensor loss;
/// using (var scope = Tensor.NewScope())
/// {
///     var h = x.Matmul(w).Relu();          // disposed at scope end
///     loss = Tensor.MseLoss(h, y).MoveToOuterScope();
/// }
/// </code>
/// </example>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? t_current;

    private readonly HashSet<Tensor> _tensors = new(ReferenceEqualityComparer.Instance);
    private readonly DisposeScope? _outer;
    private readonly int _threadId;
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = t_current;
        _threadId = Environment.CurrentManagedThreadId;
        t_current = this;
    }

    /// <summary>The innermost open scope of this thread, if any.</summary>
    public static DisposeScope? Current => t_current;

    /// <summary>The scope that was current when this one opened.</summary>
    public DisposeScope? Outer => _outer;

    /// <summary>Number of tensors the scope will dispose.</summary>
    public int Count => _tensors.Count;

    internal void Attach(Tensor tensor)
    {
        _tensors.Add(tensor);
        tensor.Scope = this;
    }

    internal void Forget(Tensor tensor)
    {
        _tensors.Remove(tensor);
        tensor.Scope = null;
    }

    /// <summary>Disposes every tensor still owned by the scope and makes the outer scope current.</summary>
    /// <exception cref="InvalidOperationException">Disposed on another thread, or out of nesting order.</exception>
    public void Dispose()
    {
        if (_disposed) return;
        if (Environment.CurrentManagedThreadId != _threadId)
            throw new InvalidOperationException("A DisposeScope must be disposed on the thread that opened it.");
        if (!ReferenceEquals(t_current, this))
            throw new InvalidOperationException("DisposeScopes must be disposed innermost first.");
        _disposed = true;
        t_current = _outer;
        foreach (var t in _tensors)
        {
            t.Scope = null;
            t.Dispose();
        }
        _tensors.Clear();
    }
}
