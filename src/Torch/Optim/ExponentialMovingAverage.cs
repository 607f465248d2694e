using MlNetStem.Torch.Interop;
using MlNetStem.Torch.Nn;

namespace MlNetStem.Torch.Optim;

/// <summary>
/// Shadow copies of a module's parameters updated as shadow = decay·shadow + (1−decay)·param,
/// the usual diffusion-model EMA. Shadows carry the module's parameter names, so
/// <see cref="CopyTo"/> followed by <see cref="Module.SaveStateDict"/> stores EMA weights.
/// Buffers are not averaged.
/// </summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    private readonly string[] _names;
    private readonly Tensor[] _parameters;
    private readonly Tensor[] _shadow;

    /// <summary>Starts the average at the module's current parameters.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decay"/> is outside [0, 1].</exception>
    public ExponentialMovingAverage(Module module, double decay = 0.9999)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (decay is < 0 or > 1 || double.IsNaN(decay))
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "decay must be in [0, 1].");
        Decay = decay;
        var named = module.NamedParameters().ToArray();
        _names = named.Select(p => p.Key).ToArray();
        _parameters = named.Select(p => p.Value).ToArray();
        using var scope = Tensor.NewScope(); // owns the intermediate detached views
        _shadow = _parameters.Select(p => p.Detach().Clone().DetachFromDisposeScope()).ToArray();
    }

    /// <summary>The weight kept from the previous average at each update.</summary>
    public double Decay { get; }

    /// <summary>The averaged tensors with the module's parameter names.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedShadows() =>
        _names.Select((n, i) => new KeyValuePair<string, Tensor>(n, _shadow[i]));

    /// <summary>Folds the module's current parameters into the average.</summary>
    public void Update()
    {
        using var lease = new HandleLease();
        var s = lease.AddAll(_shadow);
        var p = lease.AddAll(_parameters);
        Status.Check(NativeMethods.mst_ema_update(s, p, s.Length, Decay), "ema_update");
    }

    /// <summary>Copies the averaged values into <paramref name="target"/>'s parameters (same names and shapes).</summary>
    /// <exception cref="ArgumentException">The target's parameters differ in names or shapes.</exception>
    public void CopyTo(Module target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var named = target.NamedParameters().ToArray();
        if (!named.Select(p => p.Key).SequenceEqual(_names))
            throw new ArgumentException("ExponentialMovingAverage.CopyTo: the target's parameter names differ from the averaged module's.", nameof(target));
        for (var i = 0; i < named.Length; i++) named[i].Value.CopyFrom(_shadow[i]);
    }

    /// <summary>Writes the shadows in the <see cref="StateDict"/> format.</summary>
    public void Save(Stream stream) => StateDict.Save(stream, NamedShadows());

    /// <summary>Restores shadows written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The stream does not match or is malformed.</exception>
    public void Load(Stream stream) => StateDict.LoadInto(stream, NamedShadows().ToList());

    /// <summary>Releases the shadow tensors.</summary>
    public void Dispose()
    {
        foreach (var t in _shadow) t.Dispose();
    }
}
