namespace MlNetStem.Torch.Nn;

/// <summary>
/// Base of neural-network building blocks. Parameters, buffers and child modules are
/// registered explicitly with names; <see cref="NamedParameters"/> yields hierarchical names
/// such as <c>blocks.0.attn.qkv.weight</c> in registration order, which is also the state-dict order.
/// A module owns its tensors: <see cref="Dispose"/> releases them and its children.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<KeyValuePair<string, Tensor>> _parameters = new();
    private readonly List<KeyValuePair<string, Tensor>> _buffers = new();
    private readonly List<KeyValuePair<string, Module>> _children = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Whether the module is in training mode (the default); see <see cref="Train"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Registers a trainable tensor under <paramref name="name"/>: the module takes ownership
    /// (it leaves any DisposeScope) and turns on <see cref="Tensor.RequiresGrad"/>.</summary>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is already used.</exception>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        ClaimName(name);
        value.DetachFromDisposeScope();
        value.RequiresGrad = true;
        _parameters.Add(new(name, value));
        return value;
    }

    /// <summary>Registers a non-trainable tensor that is saved in the state dict (e.g. fixed embeddings).</summary>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is already used.</exception>
    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        ClaimName(name);
        value.DetachFromDisposeScope();
        _buffers.Add(new(name, value));
        return value;
    }

    /// <summary>Registers a child module; its names get the prefix <c>name.</c>.</summary>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is already used.</exception>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        if (ReferenceEquals(module, this)) throw new ArgumentException("A module cannot contain itself.", nameof(module));
        ClaimName(name);
        _children.Add(new(name, module));
        return module;
    }

    private void ClaimName(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"Invalid name '{name}': names must be non-empty and contain no '.'.", nameof(name));
        if (!_names.Add(name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'.", nameof(name));
    }

    /// <summary>All trainable tensors with hierarchical names, own first, then children in registration order.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedParameters() => Walk(m => m._parameters);

    /// <summary>All trainable tensors, in <see cref="NamedParameters"/> order.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>All buffers with hierarchical names.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers() => Walk(m => m._buffers);

    /// <summary>What the state dict holds: parameters then buffers, with hierarchical names.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateEntries() => NamedParameters().Concat(NamedBuffers());

    /// <summary>Direct children with their names.</summary>
    public IEnumerable<KeyValuePair<string, Module>> NamedChildren() => _children;

    /// <summary>Total number of trainable scalars.</summary>
    public long ParameterCount => Parameters().Sum(p => p.Numel);

    private IEnumerable<KeyValuePair<string, Tensor>> Walk(Func<Module, List<KeyValuePair<string, Tensor>>> pick, string prefix = "")
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var p in pick(this)) yield return new(prefix + p.Key, p.Value);
        foreach (var c in _children)
            foreach (var p in c.Value.Walk(pick, prefix + c.Key + "."))
                yield return p;
    }

    /// <summary>Sets training mode on this module and all children (affects e.g. dropout in subclasses).</summary>
    public Module Train(bool training = true)
    {
        IsTraining = training;
        foreach (var c in _children) c.Value.Train(training);
        return this;
    }

    /// <summary>Evaluation mode: <c>Train(false)</c>.</summary>
    public Module Eval() => Train(false);

    /// <summary>Moves every parameter and buffer to <paramref name="device"/> in place; create optimizers
    /// and averages after moving. Gradients are dropped.</summary>
    /// <exception cref="ArgumentException">The device is not available.</exception>
    public Module To(Device device)
    {
        device.EnsureAvailable();
        foreach (var t in StateEntries()) t.Value.MoveInPlace(device);
        return this;
    }

    /// <summary>Drops the gradients of all parameters.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>Writes <see cref="StateEntries"/> to <paramref name="stream"/> in the <see cref="StateDict"/> format.</summary>
    public void SaveStateDict(Stream stream) => StateDict.Save(stream, StateEntries());

    /// <summary>Overwrites parameters and buffers from a state dict. Validates every name, dtype and shape before changing anything.</summary>
    /// <exception cref="InvalidDataException">The stream is not a state dict, is truncated, or does not match this module; the message lists the differences.</exception>
    public void LoadStateDict(Stream stream) => StateDict.LoadInto(stream, StateEntries().ToList());

    /// <summary>Releases all owned tensors and children.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        foreach (var c in _children) c.Value.Dispose();
        foreach (var p in _parameters) p.Value.Dispose();
        foreach (var b in _buffers) b.Value.Dispose();
        _disposed = true;
        GC.SuppressFinalize(this);
    }
}
